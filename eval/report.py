"""report.json (everything, for machines and `eval compare`) and report.md (for people)."""
from __future__ import annotations

import unicodedata
from pathlib import Path

from pydantic import BaseModel, Field

from eval.scoring import Evaluation, Scores

REPORT_JSON = "report.json"
REPORT_MD = "report.md"
REPORT_PNG = "report.png"
_RATE_COLUMNS = (("hit@1", "hit_at_1"), ("hit@3", "hit_at_3"), ("gold_all", "gold_all_recall"),
                 ("facts", "fact_coverage"), ("verdict", "verdict_accuracy"), ("abstention", "abstention_accuracy"))


class Report(BaseModel):
    set: str
    catalog_version: str | None
    code_version: str | None = None
    generated_at: str
    evaluation: Evaluation
    retrieval: dict[str, dict[str, float]] = Field(default_factory=dict)


def load_report(run_dir: Path) -> Report:
    return Report.model_validate_json((run_dir / REPORT_JSON).read_text(encoding="utf-8"))


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _pct(passed: int, total: int) -> str:
    return f"{passed / total:.1%} ({passed}/{total})" if total else "–"


def _ms(value: float | None) -> str:
    return f"{value:.1f}" if value is not None else "–"


def _breakdown(title: str, groups: dict[str, Scores]) -> list[str]:
    header = "| " + title + " | n | " + " | ".join(name for name, _ in _RATE_COLUMNS) + " | p50 ms |"
    lines = [header, "|" + "---|" * (len(_RATE_COLUMNS) + 3)]
    for name, scores in groups.items():
        rates = [getattr(scores, field) for _, field in _RATE_COLUMNS]
        lines.append(f"| {_cell(name)} | {scores.questions} | "
                     + " | ".join(_pct(r.passed, r.total) for r in rates) + f" | {_ms(scores.latency_p50_ms)} |")
    return lines


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _column(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def category_table(evaluation: Evaluation) -> list[str]:
    """The per-category scores for a terminal (`eval run` and `eval score` print the same one), aligned
    for Chinese names, which take two columns each."""
    rows = [["category", "n", *(name for name, _ in _RATE_COLUMNS)]]
    for name, scores in evaluation.by_category.items():
        rates = [getattr(scores, field).value for _, field in _RATE_COLUMNS]
        rows.append([name, str(scores.questions), *("–" if rate is None else f"{rate:.3f}" for rate in rates)])
    widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(_column(cell, width) for cell, width in zip(row, widths)).rstrip() for row in rows]


def render_markdown(report: Report) -> str:
    evaluation = report.evaluation
    scores = evaluation.scores
    lines = [f"# Eval report: {report.set}", "",
             f"{scores.questions} questions · catalog {report.catalog_version or 'unknown'} · "
             f"code {report.code_version or 'unknown'} · {report.generated_at}",
             "", "## Scores", "", "| metric | score | passed / total |", "|---|---|---|"]
    for name, field in _RATE_COLUMNS + (("· declined when needed", "declined_when_needed"),
                                        ("· answered when possible", "answered_when_possible"),
                                        ("included precision (wrong yes)", "included_precision")):
        rate = getattr(scores, field)
        value = f"{rate.value:.3f}" if rate.value is not None else "–"
        lines.append(f"| {name} | {value} | {rate.passed} / {rate.total} |")
    lines += [f"| latency p50 | {_ms(scores.latency_p50_ms)} ms | |",
              f"| latency p95 | {_ms(scores.latency_p95_ms)} ms | |", ""]
    if report.retrieval:
        metric_names = list(next(iter(report.retrieval.values())))
        lines += ["## Retrieval (ranx)", "", "| run | " + " | ".join(metric_names) + " |",
                  "|---|" + "---|" * len(metric_names)]
        for run_name, values in report.retrieval.items():
            lines.append(f"| {run_name} | " + " | ".join(f"{values.get(m, 0.0):.3f}" for m in metric_names) + " |")
        lines.append("")
    lines += ["## By question type", ""] + _breakdown("type", evaluation.by_type) + [""]
    lines += ["## By category (of the first gold product)", ""] + _breakdown("category", evaluation.by_category)
    verdicts = evaluation.verdict_counts()
    if verdicts:
        answered = ("included", "excluded", "not_listed", "none")
        lines += ["", "## Verdicts (expected × answered)", "", "| expected | " + " | ".join(answered) + " |",
                  "|---|" + "---|" * len(answered)]
        lines += [f"| {expected} | " + " | ".join(str(row.get(a, 0)) for a in answered) + " |"
                  for expected, row in sorted(verdicts.items())]
    failures = evaluation.failures
    lines += ["", f"## Failures ({len(failures)})", ""]
    if failures:
        lines += ["| id | type | question | expected | got | what went wrong |", "|---|---|---|---|---|---|"]
        lines += [f"| {_cell(o.id)} | {o.type} | {_cell(o.question)} | {_cell(o.expected)} | {_cell(o.got)} | "
                  f"{_cell('; '.join(o.problems))} |" for o in failures]
    else:
        lines.append("None.")
    return "\n".join(lines) + "\n"


def write_report(out: Path, report: Report, chart: bool = True) -> None:
    (out / REPORT_JSON).write_text(report.model_dump_json(indent=1), encoding="utf-8")
    (out / REPORT_MD).write_text(render_markdown(report), encoding="utf-8")
    if chart:
        from eval.chart import draw_chart  # matplotlib only when a chart is wanted

        draw_chart(report.evaluation, out / REPORT_PNG)
