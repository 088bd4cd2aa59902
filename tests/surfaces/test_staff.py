"""Staff lookup pieces with the fake KB: highlighting, catalog, diff, unanswered list, question-set runs."""
from __future__ import annotations

import json
import time
from pathlib import Path

import gradio as gr
import pytest

from bot.models import Answer
from bot.surfaces.logbook import Logbook
from bot.surfaces.settings import ServeSettings
from bot.surfaces.staff import (
    StaffHandlers,
    catalog_markdown,
    diff_markdown,
    eval_runner_for,
    hits_markdown,
    unanswered_rows,
)
from ingest.models import Entry
from kb.diff import CatalogDiff, ChangedEntry
from kb.models import EntryHit, Evidence
from tests.surfaces.conftest import FakeBot, fake_catalog


def handlers(bot: FakeBot, logbook: Logbook, runner: object = None) -> StaffHandlers:
    return StaffHandlers(bot, bot.kb, ServeSettings(), logbook, runner)


def test_matched_clauses_are_highlighted_and_entry_markup_is_escaped() -> None:
    entry = Entry(id="x", product="X<服务>", category="C", page=3, description="描述<script>",
                  items=["方案制定", "升级测试"], exclusions=["不包含硬件"], text="…")
    hit = EntryHit(entry=entry, score=1.0,
                   evidence=[Evidence(chunk_id="x-1", kind="item", text="升级测试", score=1.0)])
    rendered = hits_markdown([hit])
    assert "<mark>升级测试</mark>" in rendered and "<mark>方案制定</mark>" not in rendered
    assert "<script>" not in rendered and "X&lt;服务&gt;" in rendered and "第 3 页" in rendered


def test_search_filters_by_category_and_offers_a_cited_answer(fake_bot: FakeBot, logbook: Logbook) -> None:
    results, ready = handlers(fake_bot, logbook).search("性能优化服务", "系统运维服务")
    assert "性能优化服务" in results and "升级服务 ·" not in results
    assert "性能优化服务 · 系统运维服务 · 第 2 页" in ready


def test_catalog_lists_every_entry_under_its_category() -> None:
    rendered = catalog_markdown(fake_catalog())
    assert "2025-07-01" in rendered and "### 升级服务 (2)" in rendered and "### 系统运维服务 (1)" in rendered


def test_diff_between_two_ingested_versions(fake_bot: FakeBot, logbook: Logbook) -> None:
    rendered = handlers(fake_bot, logbook).diff("2025-01-01", "2025-07-01")
    assert "新增 Added** (1)\n- 性能优化服务" in rendered and "删除 Removed** (0)" in rendered


def test_diff_shows_added_and_removed_clauses() -> None:
    diff = CatalogDiff(added=[], removed=["旧服务"], changed=[
        ChangedEntry(product="升级服务", added_clauses=["新条款<b>"], removed_clauses=["旧条款"])])
    rendered = diff_markdown(diff, "a", "b")
    assert "- 旧服务" in rendered and "＋ 新条款&lt;b&gt;" in rendered and "－ ~~旧条款~~" in rendered


def test_diff_needs_two_known_versions(fake_bot: FakeBot, logbook: Logbook) -> None:
    with pytest.raises(gr.Error):
        handlers(fake_bot, logbook).diff(None, "2025-07-01")
    with pytest.raises(gr.Error, match="unknown version '1999-01-01'"):
        handlers(fake_bot, logbook).diff("1999-01-01", "2025-07-01")


def test_catalog_view_offers_the_versions_newest_two_preselected(fake_bot: FakeBot, logbook: Logbook) -> None:
    old, new, catalog = handlers(fake_bot, logbook).catalog_view()
    assert (old.value, new.value) == ("2025-01-01", "2025-07-01")
    assert ("2025-07-01（当前 active）", "2025-07-01") in new.choices
    assert "Active catalog version: **2025-07-01**" in catalog


def test_unanswered_rows_are_newest_first(logbook: Logbook) -> None:
    now = time.time()
    logbook.record("老问题", Answer(answer="a", abstained=True, catalog_version="v"), surface="web", now=now - 60)
    logbook.record("新问题", Answer(answer="b", abstained=True, catalog_version="v"), surface="api", now=now)
    assert [row[3] for row in unanswered_rows(logbook)] == ["新问题", "老问题"]


def write_set(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


QUESTION = {"id": "q1", "question": "升级服务包含什么？", "history": [], "lang": "zh", "gold": ["升级服务"],
            "gold_all": [], "facts": [], "verdict": None, "abstain": False}


def test_uploaded_question_set_runs_and_shows_its_report(fake_bot: FakeBot, logbook: Logbook, tmp_path: Path) -> None:
    upload = write_set(tmp_path / "set.jsonl", [json.dumps(QUESTION, ensure_ascii=False)])
    report, _chart, results = handlers(fake_bot, logbook, eval_runner_for(fake_bot, fake_bot.kb)).run_eval(str(upload))
    assert "Finished" in report and "hit@1" in report.lower()
    assert results is not None and json.loads(Path(results).read_text(encoding="utf-8"))["id"] == "q1"


def test_malformed_question_set_is_refused_with_its_reason(fake_bot: FakeBot, logbook: Logbook, tmp_path: Path) -> None:
    upload = write_set(tmp_path / "bad.jsonl", ["{not json"])
    with pytest.raises(gr.Error, match=r"could not run: bad\.jsonl:1: not valid JSON"):
        handlers(fake_bot, logbook, eval_runner_for(fake_bot, fake_bot.kb)).run_eval(str(upload))


def test_staff_page_needs_the_password_when_one_is_set(tmp_path: Path) -> None:
    import httpx

    from tests.surfaces.conftest import make_app, serve_in_thread

    with serve_in_thread(make_app(FakeBot(), tmp_path, staff_password="s3cret")) as url:
        assert httpx.get(f"{url}/staff/config").status_code == 401
        assert httpx.post(f"{url}/staff/login", data={"username": "staff", "password": "nope"}).status_code == 400
        with httpx.Client() as staff:
            assert staff.post(f"{url}/staff/login", data={"username": "staff", "password": "s3cret"}).status_code == 200
            assert staff.get(f"{url}/staff/config").status_code == 200
        assert httpx.get(f"{url}/config").status_code == 200  # the customer chat stays open
