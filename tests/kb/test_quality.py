from __future__ import annotations

import json

import pytest

from kb.quality import Question, load_questions, scores, table


def test_scores_are_ranx_hit_rates_and_mrr():
    questions = [Question(id="a", question="?", gold=["苍穹 PaaS 实验室"]), Question(id="b", question="?", gold=["升级服务"])]
    run = {"a": {"苍穹PaaS实验室": 2.0, "升级服务": 1.0}, "b": {"培训服务": 3.0, "信创服务": 2.0, "升级服务": 1.0}}
    result = scores(questions, run)
    assert result == pytest.approx({"hit_rate@1": 0.5, "hit_rate@3": 1.0, "mrr": (1 + 1 / 3) / 2})
    assert "| x | score | first turn | 2 | 0.500 | 1.000 | 0.667 |" in table([{"embedder": "x", "method": "score",
                                                                            "subset": "first turn", "n": 2, **result}])


def test_abstentions_are_skipped(tmp_path):
    lines = [{"id": "1", "question": "升级?", "gold": ["升级服务"], "abstain": False, "history": []},
             {"id": "2", "question": "价格?", "gold": [], "abstain": True, "history": []}]
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines))
    assert [q.id for q in load_questions(path)] == ["1"]
