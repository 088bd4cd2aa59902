from __future__ import annotations

from eval.report import Report, render_markdown
from eval.scoring import evaluate
from tests.eval.test_scoring import question, result


def test_markdown_tables_survive_pipes_and_newlines_in_questions() -> None:
    q = question("x|1", gold=["驻场服务"], verdict="included")
    q.question = "A | B\n第二行"
    r = result("x|1", ("现场服务",), "答|案", "not_listed")
    report = Report(set="s", catalog_version="2025-07-01", generated_at="now", evaluation=evaluate([q], [r]))
    markdown = render_markdown(report)
    [row] = [line for line in markdown.splitlines() if line.startswith("| x")]
    assert row.startswith("| x\\|1 | scope | A \\| B 第二行 |")
    assert row.count(" | ") == 5  # six cells, none split by the pipes inside them
    assert "| included | 0 | 0 | 1 | 0 |" in markdown  # the verdict table
