"""The committed baseline is a run of the current dev set, and its report is what its results say."""
from __future__ import annotations

from pathlib import Path

from eval.questions import load_question_set
from eval.report import load_report
from eval.results import read_results
from eval.scoring import evaluate

EVAL = Path(__file__).resolve().parents[2] / "eval"


def test_baseline_report_recomputes_from_its_results() -> None:
    baseline = EVAL / "baselines" / "dev"
    questions = load_question_set(EVAL / "sets" / "dev.jsonl")
    results = read_results(baseline / "results.jsonl")
    assert [r.id for r in results] == [q.id for q in questions], "baseline is stale: re-run the dev set"
    report = load_report(baseline)
    assert evaluate(questions, results, categories=None).scores.metrics() == report.evaluation.scores.metrics()
