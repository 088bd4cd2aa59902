"""Staff lookup pieces with the fake KB: highlighting, catalog, diff, unanswered list, question-set runs."""
from __future__ import annotations

import json
import time
from pathlib import Path

import gradio as gr
import pytest
from markdown_it import MarkdownIt

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
from kb.examples import Example, ExampleError
from tests.surfaces.conftest import FakeBot, FakeKB, fake_catalog


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


REMOTE = "http://evil.example"
POISONED = Entry(id="x", product=f"图片![n]({REMOTE}/name.png)服务", category=f"类别![c](//evil.example/c.png)", page=1,
                 description=f"描述。![x]({REMOTE}/x.png)", items=["![t]", f"[t]: {REMOTE}/ref.png"],
                 exclusions=[f"不包含![y](\\/\\/evil.example/y.png)"], text="…")


def test_catalog_text_renders_no_image_in_any_staff_view() -> None:
    hit = EntryHit(entry=POISONED, score=1.0, evidence=[Evidence(chunk_id="x-1", kind="item", text="![t]", score=1.0)])
    catalog = fake_catalog().model_copy(update={"entries": [*fake_catalog().entries, POISONED]})
    diff = CatalogDiff(added=[POISONED.product], removed=[], changed=[ChangedEntry(
        product=POISONED.product, added_clauses=[*POISONED.items, POISONED.description],
        removed_clauses=POISONED.exclusions)])
    for markdown in (hits_markdown([hit]), catalog_markdown(catalog), diff_markdown(diff, "a", "b")):
        html = MarkdownIt("commonmark").render(markdown)
        assert "<img" not in html and "evil.example" in html


def test_search_filters_by_category_and_offers_a_cited_answer(fake_bot: FakeBot, logbook: Logbook) -> None:
    results, ready = handlers(fake_bot, logbook).search("性能优化服务", "系统运维服务")
    assert "性能优化服务" in results and "升级服务 ·" not in results
    assert "性能优化服务 · 系统运维服务 · 第 2 页" in ready


def test_catalog_lists_every_entry_under_its_category() -> None:
    rendered = catalog_markdown(fake_catalog())
    html = MarkdownIt("commonmark").render(rendered)
    assert "2025-07-01" in html and "<h3>升级服务 (2)</h3>" in html and "<h3>系统运维服务 (1)</h3>" in html


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
    assert "Active catalog version: <strong>2025-07-01</strong>" in MarkdownIt("commonmark").render(catalog)


def test_unanswered_rows_are_newest_first(logbook: Logbook) -> None:
    now = time.time()
    logbook.record("老问题", Answer(answer="a", abstained=True, catalog_version="v"), surface="web", now=now - 60)
    logbook.record("新问题", Answer(answer="b", abstained=True, catalog_version="v"), surface="api", now=now)
    assert [row[4] for row in unanswered_rows(logbook)] == ["新问题", "老问题"]


# -- the unanswered view: each question with its conversation, taught to the bot ---------------------

class TeachableKB(FakeKB):
    """The fake KB plus the knowledge base's add_example contract: known products only, stored in order."""

    def __init__(self) -> None:
        super().__init__()
        self.examples: list[Example] = []

    def add_example(self, example: Example) -> Example:
        unknown = [p for p in example.products if self.catalog.entry(p) is None]
        if unknown:
            raise ExampleError(f"unknown product {unknown[0]!r} in the 2025-07-01 edition")
        self.examples.append(example)
        return example


def answer(text: str, abstained: bool = False) -> Answer:
    return Answer(answer=text, abstained=abstained, catalog_version="2025-07-01")


def clicked(row: list[object]) -> gr.SelectData:
    return gr.SelectData(None, {"index": [0, 4], "value": row[4], "row_value": row})


def test_a_clicked_row_opens_with_its_conversation(logbook: Logbook) -> None:
    now = time.time()
    logbook.record("很久以前的一问", answer("a"), surface="web", session="s1", now=now - 7200)
    logbook.record("数据迁移服务包括什么？", answer("**数据迁移服务**：方案制定"), surface="web", session="s1", now=now - 120)
    logbook.record("别的客户的问题", answer("b"), surface="web", session="s2", now=now - 90)
    logbook.record("API 上的问题", answer("c"), surface="api", session="s1", now=now - 80)
    logbook.record("那它包括数据清洗吗？<b>", answer("抱歉，没有相关信息。", abstained=True), surface="web",
                   session="s1", now=now - 60)
    logbook.record("之后的一问", answer("d"), surface="web", session="s1", now=now)
    staff = StaffHandlers(FakeBot(), TeachableKB(), ServeSettings(), logbook, None)
    row = next(row for row in staff.unanswered_view()[0] if row[4].startswith("那它"))
    conversation, question, _product, verdict, decline, status = staff.open_unanswered(clicked(row))
    shown = MarkdownIt("commonmark").render(conversation)
    assert shown.index("数据迁移服务包括什么") < shown.index("那它包括数据清洗吗") < shown.index("抱歉，没有相关信息")
    assert "<strong>数据迁移服务</strong>" in shown and "&lt;b&gt;" in shown  # the bot's Markdown, the customer's text
    for other in ("很久以前", "别的客户", "API 上的问题", "之后的一问"):
        assert other not in shown
    assert (question, verdict, decline, status) == ("那它包括数据清洗吗？<b>", "", False, "")


def test_a_row_pruned_meanwhile_says_so(logbook: Logbook) -> None:
    staff = StaffHandlers(FakeBot(), TeachableKB(), ServeSettings(), logbook, None)
    with pytest.raises(gr.Error, match="no longer in the log"):
        staff.open_unanswered(clicked([999, "", "", "", "q", "a"]))


def test_teaching_stores_a_staff_example_with_the_chosen_label(logbook: Logbook) -> None:
    kb = TeachableKB()
    staff = StaffHandlers(FakeBot(kb), kb, ServeSettings(), logbook, None)
    status = staff.teach("  数据迁移服务包括数据清洗吗？ ", "数据迁移服务", "excluded", False)
    assert "Saved" in status and "数据迁移服务 (excluded)" in MarkdownIt("commonmark").render(status)
    staff.teach("Can your staff babysit our kids?", None, "", True)
    assert [e.model_dump(include={"question", "lang", "products", "verdict", "abstain", "writer"}) for e in kb.examples] == [
        {"question": "数据迁移服务包括数据清洗吗？", "lang": "zh", "products": ["数据迁移服务"], "verdict": "excluded",
         "abstain": False, "writer": "staff"},
        {"question": "Can your staff babysit our kids?", "lang": "en", "products": [], "verdict": None,
         "abstain": True, "writer": "staff"}]


@pytest.mark.parametrize(("question", "product", "verdict", "decline", "message"), [
    ("", "升级服务", "", False, "1 to 2000 characters"),
    ("升级服务多少钱", "升级服务", "", True, "A decline names no product"),
    ("升级服务多少钱", None, "included", True, "A decline names no product"),
    ("有没有 ERP 咨询", None, "", False, "Pick the right product"),
    ("有没有 ERP 咨询", "咨询服务", "", False, "unknown product '咨询服务'"),
])
def test_teaching_refuses_an_incomplete_label(logbook: Logbook, question: str, product: str | None, verdict: str,
                                              decline: bool, message: str) -> None:
    kb = TeachableKB()
    with pytest.raises(gr.Error, match=message):
        StaffHandlers(FakeBot(kb), kb, ServeSettings(), logbook, None).teach(question, product, verdict, decline)
    assert kb.examples == []


def test_the_product_choices_follow_the_active_catalog(logbook: Logbook) -> None:
    kb = TeachableKB()
    staff = StaffHandlers(FakeBot(kb), kb, ServeSettings(), logbook, None)
    kb.catalog = fake_catalog("2025-01-01")  # an edition ingested while serving
    _rows, products = staff.unanswered_view()
    assert [choice[0] for choice in products.choices] == ["升级服务", "数据迁移服务"]


def write_set(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


QUESTION = {"id": "q1", "question": "升级服务包含什么？", "history": [], "lang": "zh", "gold": ["升级服务"],
            "gold_all": [], "facts": [], "verdict": None, "abstain": False}


def uploaded(staff: StaffHandlers, folder: Path, name: str, lines: list[str]) -> str:
    """A set as Gradio's upload route leaves it: in its upload folder, recorded as uploaded to the page."""
    (folder / "0123abcd").mkdir(parents=True, exist_ok=True)
    path = str(write_set(folder / "0123abcd" / name, lines))
    staff.uploads.add(path)
    return path


def test_uploaded_question_set_runs_and_shows_its_report(fake_bot: FakeBot, logbook: Logbook, upload_dir: Path) -> None:
    staff = handlers(fake_bot, logbook, eval_runner_for(fake_bot, fake_bot.kb))
    report, _chart, results = staff.run_eval(uploaded(staff, upload_dir, "set.jsonl", [json.dumps(QUESTION, ensure_ascii=False)]))
    assert "Finished" in report and "hit@1" in report.lower()
    assert results is not None and json.loads(Path(results).read_text(encoding="utf-8"))["id"] == "q1"


def test_malformed_question_set_is_refused_with_its_reason(fake_bot: FakeBot, logbook: Logbook, upload_dir: Path) -> None:
    staff = handlers(fake_bot, logbook, eval_runner_for(fake_bot, fake_bot.kb))
    with pytest.raises(gr.Error, match=r"could not run: bad\.jsonl:1: not valid JSON"):
        staff.run_eval(uploaded(staff, upload_dir, "bad.jsonl", ["{not json"]))


def test_a_file_not_uploaded_to_the_page_is_refused(fake_bot: FakeBot, logbook: Logbook, upload_dir: Path,
                                                    tmp_path: Path) -> None:
    staff = handlers(fake_bot, logbook, eval_runner_for(fake_bot, fake_bot.kb))
    outside = write_set(tmp_path / "server.jsonl", [json.dumps(QUESTION, ensure_ascii=False)])
    inside = uploaded(staff, upload_dir, "set.jsonl", [json.dumps(QUESTION, ensure_ascii=False)])
    link = upload_dir / "0123abcd" / "link.jsonl"
    link.symlink_to(outside)
    staff.uploads.update({str(outside), str(link)})  # even if the record were wrong: the folder and links count
    for path in (outside, link, upload_dir / "0123abcd" / "never-uploaded.jsonl"):
        with pytest.raises(gr.Error, match="through this page"):
            staff.run_eval(str(path))
    staff.uploads.discard(inside)
    with pytest.raises(gr.Error, match="through this page"):
        staff.run_eval(inside)


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


# -- Gradio events over real HTTP ------------------------------------------------------------------

def gradio_event(url: str, prefix: str, elem_id: str, data: list[object], client: object = None) -> dict:
    """Post one event of a mounted Gradio app by the elem_id of its first input (as any client could,
    whatever the page shows), and return Gradio's `process_completed` message."""
    import uuid

    import httpx

    if client is None:
        with httpx.Client(timeout=60) as http:
            return gradio_event(url, prefix, elem_id, data, http)
    http = client
    config = http.get(f"{url}{prefix}/config").json()
    components = {c["id"]: c.get("props", {}).get("elem_id") for c in config["components"]}
    dependency = next(d for d in config["dependencies"] if d["inputs"] and components[d["inputs"][0]] == elem_id)
    session = uuid.uuid4().hex
    joined = http.post(f"{url}{prefix}/gradio_api/queue/join", json={
        "data": data, "fn_index": dependency["id"], "session_hash": session, "event_data": None,
        "trigger_id": dependency["targets"][0][0]})
    assert joined.status_code == 200, joined.text
    with http.stream("GET", f"{url}{prefix}/gradio_api/queue/data", params={"session_hash": session}) as stream:
        for line in stream.iter_lines():
            if line.startswith("data:"):
                message = json.loads(line[5:])
                if message.get("msg") == "process_completed":
                    return message
    raise AssertionError("the event never completed")


def file_data(path: Path | str) -> dict:
    return {"path": str(path), "orig_name": Path(path).name, "meta": {"_type": "gradio.FileData"}}


@pytest.fixture
def upload_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Gradio's upload cache for apps built in this test, so what lands there can be listed."""
    folder = tmp_path / "gradio-cache"
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(folder))
    return folder


def cached_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def test_a_server_file_posted_as_the_eval_upload_is_neither_run_nor_copied(tmp_path: Path, upload_dir: Path) -> None:
    from tests.surfaces.conftest import make_app, serve_in_thread

    server_set = write_set(tmp_path / "server-only.jsonl", [json.dumps({**QUESTION, "question": "服务器上的秘密问题"},
                                                                        ensure_ascii=False)])
    server_secret = tmp_path / "registry.json"
    server_secret.write_text('{"secret": true}', encoding="utf-8")
    with serve_in_thread(make_app(FakeBot(), tmp_path)) as url:
        for path in (server_set, server_secret, tmp_path / "logbook.sqlite3", Path("/etc/passwd")):
            result = gradio_event(url, "/staff", "staff-eval-upload", [file_data(path)])
            assert result["success"] is False, path
            assert "秘密问题" not in json.dumps(result, ensure_ascii=False)
    assert cached_files(upload_dir) == []


def test_a_set_uploaded_to_the_staff_page_runs(tmp_path: Path, upload_dir: Path) -> None:
    import httpx

    from tests.surfaces.conftest import make_app, serve_in_thread

    local = write_set(tmp_path / "mine.jsonl", [json.dumps(QUESTION, ensure_ascii=False)])
    with serve_in_thread(make_app(FakeBot(), tmp_path)) as url:
        with httpx.Client(timeout=60) as client:
            uploaded = client.post(f"{url}/staff/gradio_api/upload",
                                   files={"files": ("mine.jsonl", local.read_bytes())}).json()[0]
            result = gradio_event(url, "/staff", "staff-eval-upload", [file_data(uploaded)], client)
    assert result["success"] is True, result
    assert "Finished" in result["output"]["data"][0]
