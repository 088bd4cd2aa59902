from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from eval.cli import eval_group
from eval.questions import load_question_set
from eval.runner import run_set
from tests.eval.conftest import FakeBot, answer, write_jsonl

SET = [
    {"id": "a", "question": "驻场服务是什么？", "lang": "zh", "gold": ["驻场服务"]},
    {"id": "b", "question": "信创服务包括选型建议吗？", "lang": "zh", "gold": ["信创服务"], "verdict": "included"},
    {"id": "c", "question": "今天天气如何", "lang": "zh", "abstain": True},
]


def run(tmp_path: Path, name: str, bot: FakeBot) -> Path:
    set_path = write_jsonl(tmp_path / "set.jsonl", SET)
    run_set(bot, load_question_set(set_path), tmp_path / name, "set.jsonl", retrieval=False, progress=False,
            chart=False)
    return tmp_path / name


def test_compare_lists_deltas_and_changed_questions(tmp_path: Path) -> None:
    before = run(tmp_path, "A", FakeBot({
        "驻场服务是什么？": answer("固定专家顾问", ("现场服务", "驻场服务")),   # hit@1 miss
        "信创服务包括选型建议吗？": answer("包括", ("信创服务",), "included"),
    }))
    after = run(tmp_path, "B", FakeBot({
        "驻场服务是什么？": answer("固定专家顾问", ("驻场服务",)),             # fixed
        "信创服务包括选型建议吗？": answer("未列出", ("信创服务",), "not_listed"),  # broken
    }))
    result = CliRunner().invoke(eval_group, ["compare", str(before), str(after), "--json"])
    assert result.exit_code == 0, result.output
    comparison = json.loads(result.output)
    deltas = {m["name"]: m["delta"] for m in comparison["metrics"]}
    assert deltas["hit@1"] == 0.5 and deltas["verdict"] == -1.0 and deltas["abstention"] == 0.0
    assert [c["id"] for c in comparison["better"]] == ["a"]
    assert [c["id"] for c in comparison["worse"]] == ["b"]
    assert "verdict not_listed instead of included" in comparison["worse"][0]["after"][0]

    text = CliRunner().invoke(eval_group, ["compare", str(before), str(after)]).output
    assert "hit@1" in text and "+0.500" in text and "worse in B: 1" in text


def test_compare_rejects_a_directory_without_a_report(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = CliRunner().invoke(eval_group, ["compare", str(tmp_path / "empty"), str(tmp_path / "empty")])
    assert result.exit_code == 2 and "report.json: not found" in result.output
