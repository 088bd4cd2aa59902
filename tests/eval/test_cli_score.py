"""`kbbot eval score` gives the same per-category table as `kbbot eval run` on the same results."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import eval.cli
from eval.cli import eval_group
from tests.eval.conftest import FakeBot, write_jsonl
from tests.eval.test_runner import OUTSIDE_SET, outside_bot

# The fake bot declines this one, so no answer cites its product: only the catalog knows its category.
UNCITED = {"id": "QA/2025/006", "question": "性能优化服务包括硬件扩容吗？", "lang": "zh", "gold": ["性能优化服务"],
           "verdict": "not_included"}


@pytest.fixture
def bot_on_the_bundled_catalog(monkeypatch: pytest.MonkeyPatch, kb_home: Path) -> FakeBot:
    """The fake bot, with the categories `open_bot` reads from the KB: the bundled catalog's."""
    from ingest import load_catalog

    bot = outside_bot()
    categories = {entry.product: entry.category for entry in load_catalog().entries}
    monkeypatch.setattr(eval.cli, "open_bot", lambda with_search: (bot, categories, None))
    return bot


def category_table(output: str) -> list[str]:
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("category"))
    table = []
    for line in lines[start:]:
        if not line.strip():
            break
        table.append(line)
    return table


def test_score_prints_the_per_category_table_of_run(tmp_path: Path, bot_on_the_bundled_catalog: FakeBot) -> None:
    set_path = write_jsonl(tmp_path / "outside.jsonl", OUTSIDE_SET + [UNCITED])
    out = tmp_path / "run"
    ran = CliRunner().invoke(eval_group, ["run", str(set_path), "--out", str(out), "--no-retrieval", "--no-chart"])
    assert ran.exit_code == 0, ran.output
    run_table = category_table(ran.output)
    assert any(line.startswith("系统运维服务") for line in run_table), run_table
    by_category = json.loads((out / "report.json").read_text(encoding="utf-8"))["evaluation"]["by_category"]

    scored = CliRunner().invoke(eval_group, ["score", str(set_path), str(out)])
    assert scored.exit_code == 0, scored.output
    assert category_table(scored.output) == run_table
    assert "(unknown)" not in scored.output
    assert json.loads((out / "report.json").read_text(encoding="utf-8"))["evaluation"]["by_category"] == by_category
