"""Scores against small cases computed by hand from eval-format.md's definitions."""
from __future__ import annotations

import pytest

from eval.questions import Question
from eval.results import ResultLine, ResultsError
from eval.scoring import evaluate, verdict_matches
from tests.eval.conftest import cite


def question(qid: str, **fields) -> Question:
    base = {"id": qid, "question": f"question {qid}", "lang": "zh"}
    return Question.model_validate(base | fields)


def result(qid: str, products: tuple[str, ...] = (), text: str = "", verdict: str | None = None,
           abstained: bool = False, latency_ms: float = 10.0) -> ResultLine:
    return ResultLine(id=qid, question=f"question {qid}", answer=text, citations=cite(*products),
                      verdict=verdict, abstained=abstained, latency_ms=latency_ms, catalog_version="2025-07-01")


@pytest.mark.parametrize(("expected", "got", "ok"), [
    ("included", "included", True), ("included", "not_listed", False), ("included", None, False),
    ("not_included", "excluded", True), ("not_included", "not_listed", True),
    ("not_included", "included", False), ("not_included", None, False),
])
def test_not_included_is_met_by_excluded_or_not_listed(expected: str, got: str | None, ok: bool) -> None:
    assert verdict_matches(expected, got) is ok


def test_hand_computed_run() -> None:
    questions = [
        question("a", gold=["数据库转换服务"], facts=[["许可授权"], ["工具下载", "tool download"]], verdict="included"),
        question("b", gold=["数据库转换服务", "信创服务"], gold_all=["数据库转换服务", "信创服务"]),
        question("c", gold=["苍穹 PaaS 实验室"], verdict="not_included", facts=[["联合开发"]]),
        question("d", abstain=True),
        question("e", abstain=True),
        question("f", gold=["驻场服务"]),
    ]
    results = [
        # hit@1, both facts (second via English alternative, case-insensitive), verdict right
        result("a", ("数据库转换服务", "信创服务"), "提供许可授权与 TOOL DOWNLOAD", "included", latency_ms=10),
        # cites only one of the two: hit@1 yes, gold_all no
        result("b", ("信创服务", "现场服务"), "", latency_ms=20),
        # whitespace-free product name still a hit; hit@3 only; not_listed meets not_included; fact missed
        result("c", ("现场服务", "驻场服务", "苍穹PaaS实验室"), "不在清单中", "not_listed", latency_ms=30),
        # abstained cleanly
        result("d", (), "抱歉", abstained=True, latency_ms=40),
        # abstained but cited something: wrong
        result("e", ("说明",), "抱歉", abstained=True, latency_ms=50),
        # declined an answerable question: abstention wrong, hit@1 wrong
        result("f", (), "抱歉", abstained=True, latency_ms=60),
    ]
    evaluation = evaluate(questions, results)
    s = evaluation.scores
    assert (s.hit_at_1.passed, s.hit_at_1.total) == (2, 4)   # a, b
    assert (s.hit_at_3.passed, s.hit_at_3.total) == (3, 4)   # a, b, c
    assert (s.gold_all_recall.passed, s.gold_all_recall.total) == (0, 1)
    assert (s.fact_coverage.passed, s.fact_coverage.total) == (2, 3)
    assert (s.verdict_accuracy.passed, s.verdict_accuracy.total) == (2, 2)
    assert (s.abstention_accuracy.passed, s.abstention_accuracy.total) == (4, 6)  # a b c d
    assert (s.declined_when_needed.passed, s.declined_when_needed.total) == (1, 2)  # d, not e
    assert (s.answered_when_possible.passed, s.answered_when_possible.total) == (3, 4)  # a b c, not f
    assert s.latency_p50_ms == pytest.approx(35.0)
    assert s.latency_p95_ms == pytest.approx(57.5)  # numpy linear: 50 + 0.75 * 10
    assert evaluation.verdict_counts() == {"included": {"included": 1}, "not_included": {"not_listed": 1}}
    failed = {o.id: o.problems for o in evaluation.failures}
    assert set(failed) == {"b", "c", "e", "f"}
    assert any("abstained but cited 说明" in p for p in failed["e"])
    assert any("declined" in p for p in failed["f"])
    assert any("comparison misses 数据库转换服务" in p for p in failed["b"])
    assert evaluation.by_type["abstain"].abstention_accuracy.passed == 1
    assert evaluation.by_type["comparison"].questions == 1


def test_category_comes_from_the_first_gold_product() -> None:
    questions = [question("a", gold=["数据库转换服务"]), question("b", gold=["驻场服务"]), question("c", abstain=True)]
    results = [result("a", ("数据库转换服务",)), result("b", ()), result("c", (), abstained=True)]
    evaluation = evaluate(questions, results, categories={"驻场服务": "现场服务"})
    assert {o.id: o.category for o in evaluation.outcomes} == {"a": "系统运维服务", "b": "现场服务", "c": "(abstain)"}


def test_a_question_without_a_result_is_an_error() -> None:
    with pytest.raises(ResultsError, match="'b'"):
        evaluate([question("a", gold=["说明"]), question("b", gold=["说明"])], [result("a")])


def test_rates_without_questions_are_none_not_zero() -> None:
    s = evaluate([question("a", abstain=True)], [result("a", abstained=True)]).scores
    assert s.hit_at_1.value is None and s.verdict_accuracy.value is None
    assert s.abstention_accuracy.value == 1.0
