"""Two runs side by side: metric deltas and the questions that changed from pass to fail or back."""
from __future__ import annotations

from pydantic import BaseModel, computed_field

from eval.report import Report


class MetricDelta(BaseModel):
    name: str
    before: float | None
    after: float | None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def delta(self) -> float | None:
        return None if self.before is None or self.after is None else self.after - self.before


class QuestionChange(BaseModel):
    id: str
    question: str
    before: list[str]
    after: list[str]


class Comparison(BaseModel):
    run_a: str
    run_b: str
    metrics: list[MetricDelta]
    better: list[QuestionChange]
    worse: list[QuestionChange]
    only_in_a: list[str]
    only_in_b: list[str]


def _metrics(report: Report) -> dict[str, float | None]:
    values = report.evaluation.scores.metrics()
    for run_name, scores in report.retrieval.items():
        values.update({f"{run_name}:{metric}": value for metric, value in scores.items()})
    return values


def compare(report_a: Report, report_b: Report, name_a: str = "A", name_b: str = "B") -> Comparison:
    """Questions are matched by id; those present in only one run are listed, not scored."""
    metrics_a, metrics_b = _metrics(report_a), _metrics(report_b)
    names = list(metrics_a) + [name for name in metrics_b if name not in metrics_a]
    outcomes_a = {o.id: o for o in report_a.evaluation.outcomes}
    outcomes_b = {o.id: o for o in report_b.evaluation.outcomes}
    better, worse = [], []
    for qid, after in outcomes_b.items():
        before = outcomes_a.get(qid)
        if before is None or before.passed == after.passed:
            continue
        change = QuestionChange(id=qid, question=after.question, before=before.problems, after=after.problems)
        (better if after.passed else worse).append(change)
    return Comparison(
        run_a=name_a, run_b=name_b,
        metrics=[MetricDelta(name=n, before=metrics_a.get(n), after=metrics_b.get(n)) for n in names],
        better=better, worse=worse,
        only_in_a=[qid for qid in outcomes_a if qid not in outcomes_b],
        only_in_b=[qid for qid in outcomes_b if qid not in outcomes_a])


def _value(value: float | None, latency: bool) -> str:
    if value is None:
        return "–"
    return f"{value:.1f}" if latency else f"{value:.3f}"


def render_comparison(comparison: Comparison) -> str:
    lines = [f"A = {comparison.run_a}", f"B = {comparison.run_b}", "",
             f"{'metric':<28} {'A':>9} {'B':>9} {'B-A':>9}"]
    for metric in comparison.metrics:
        latency = metric.name.startswith("latency")
        delta = metric.delta
        shown = "–" if delta is None else (f"{delta:+.1f}" if latency else f"{delta:+.3f}")
        lines.append(f"{metric.name:<28} {_value(metric.before, latency):>9} {_value(metric.after, latency):>9} "
                     f"{shown:>9}")
    for title, changes in (("better in B", comparison.better), ("worse in B", comparison.worse)):
        lines += ["", f"{title}: {len(changes)}"]
        for change in changes:
            detail = "; ".join(change.after if title.startswith("worse") else change.before)
            lines.append(f"  {change.id}  {change.question}  [{detail}]")
    if comparison.only_in_a or comparison.only_in_b:
        lines += ["", f"only in A: {', '.join(comparison.only_in_a) or '-'}",
                  f"only in B: {', '.join(comparison.only_in_b) or '-'}"]
    return "\n".join(lines) + "\n"
