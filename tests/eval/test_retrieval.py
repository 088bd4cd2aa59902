"""ranx retrieval scores on a hand-computed case, and the TREC files beside every run."""
from __future__ import annotations

from pathlib import Path

import pytest

from eval.questions import Question
from eval.retrieval import (
    kb_searcher,
    qrels_from_questions,
    retrieval_scores,
    run_from_results,
    run_from_search,
    write_trec_qrels,
    write_trec_run,
)
from tests.eval.test_scoring import result

QUESTIONS = [Question.model_validate(q) for q in (
    {"id": "a", "question": "qa", "lang": "zh", "gold": ["数据库转换服务"]},
    {"id": "b", "question": "qb", "lang": "zh", "gold": ["苍穹 PaaS 实验室"]},
    {"id": "c", "question": "qc", "lang": "zh", "gold": ["驻场服务", "现场服务"]},
    {"id": "d", "question": "qd", "lang": "zh", "gold": ["说明"]},
    {"id": "e", "question": "qe", "lang": "zh", "abstain": True},
)]
RESULTS = [
    result("a", ("数据库转换服务", "信创服务")),                  # rank 1
    result("b", ("现场服务", "驻场服务", "苍穹PaaS实验室")),       # rank 3, name without spaces
    result("c", ("信创服务", "现场服务", "现场服务")),             # rank 2, duplicate citation collapses
    result("d", ()),                                                # nothing
    result("e", (), abstained=True),
]


@pytest.mark.slow  # ranx compiles its numba kernels on first use (~25 s on a cold machine)
def test_ranx_scores_match_hand_computation() -> None:
    qrels = qrels_from_questions(QUESTIONS)
    assert "e" not in qrels and qrels["c"] == {"驻场服务": 1, "现场服务": 1}
    scores = retrieval_scores(qrels, run_from_results(RESULTS))
    assert scores["hit_rate@1"] == pytest.approx(1 / 4)
    assert scores["hit_rate@3"] == pytest.approx(3 / 4)
    assert scores["mrr"] == pytest.approx((1 + 1 / 3 + 1 / 2 + 0) / 4)

    def search(text: str) -> list[str]:
        return {"qa": ["信创服务", "数据库转换服务"], "qb": ["苍穹 PaaS 实验室"]}.get(text, [])

    direct = retrieval_scores(qrels, run_from_search(QUESTIONS, search))
    assert direct["mrr"] == pytest.approx((1 / 2 + 1) / 4)


def test_kb_searcher_reads_ranked_entries() -> None:
    class Hit:
        def __init__(self, product: str) -> None:
            self.entry = type("Entry", (), {"product": product})()

    class StubKB:
        def search(self, query: str, k: int) -> list[Hit]:
            return [Hit("驻场服务"), Hit("现场服务")][:k]

    assert kb_searcher(StubKB(), k=1)("随便") == ["驻场服务"]


def test_trec_files(tmp_path: Path) -> None:
    write_trec_qrels(tmp_path / "qrels.trec", qrels_from_questions(QUESTIONS[:1]))
    write_trec_run(tmp_path / "run.trec", run_from_results(RESULTS[:1]), "citations")
    assert (tmp_path / "qrels.trec").read_text(encoding="utf-8") == "a 0 数据库转换服务 1\n"
    assert (tmp_path / "run.trec").read_text(encoding="utf-8").splitlines() == [
        "a Q0 数据库转换服务 1 1.000000 citations", "a Q0 信创服务 2 0.500000 citations"]

