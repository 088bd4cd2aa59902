"""A real headless Chromium (Debian's) against the live server: chat, citations, XSS, widget, staff lookup."""
from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from bot.surfaces.chat import EXAMPLE_QUESTIONS
from tests.conftest import REPO

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = REPO / "test-artifacts"
XSS_QUESTION = '升级服务包含什么？<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail("Debian chromium is missing: run `bash .ci/system-deps` (make test does)")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


# Every frame records what the Content-Security-Policy refused, so each test also checks that the
# served policy (bot/surfaces/headers.py) lets the page work.
RECORD_CSP_VIOLATIONS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
  e => window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || '') + ' ' + (e.sourceFile || '')));
"""


def csp_violations(page: Any) -> list[str]:
    found = []
    for frame in page.frames:
        try:
            found += frame.evaluate("() => window.__csp || []")
        except Exception:  # noqa: BLE001 - a frame the browser refused to load has no script context
            continue
    return found


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1200, "height": 900}, locale="zh-CN")
    context.add_init_script(RECORD_CSP_VIOLATIONS)
    page = context.new_page()
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    yield page
    violations = csp_violations(page)
    context.close()
    assert violations == [], f"the page broke the served Content-Security-Policy: {violations}"


def ask(page: Any, question: str) -> Any:
    """Type a question, press Enter, and return the last bot message once its answer is complete."""
    answers = page.locator("#kb-chat .message.bot")
    before = answers.count()
    page.locator("#kb-question textarea").fill(question)
    page.locator("#kb-question textarea").press("Enter")
    page.wait_for_function(
        "n => document.querySelectorAll('#kb-chat .message.bot').length > n", arg=before, timeout=60_000)
    page.wait_for_selector("#kb-chat .pending", state="detached", timeout=60_000)
    return answers.last


def test_chat_answers_with_a_collapsible_citation(live_server: str, page: Any) -> None:
    page.goto(f"{live_server}/")
    answer = ask(page, "数据库转换服务包括工具授权吗？")
    answer.locator("details.kb-citation").first.wait_for(timeout=30_000)
    assert "授权" in answer.inner_text()
    citation = answer.locator("details.kb-citation").first
    assert "数据库转换服务" in citation.locator("summary").inner_text()
    citation.locator("summary").click()
    assert "许可授权" in citation.inner_text()
    page.screenshot(path=str(ARTIFACTS / "chat.png"), full_page=True)

    follow_up = ask(page, "那它包括数据清洗吗？")
    follow_up.locator("details.kb-citation").first.wait_for(timeout=30_000)
    assert "数据库转换服务" in follow_up.locator("details.kb-citation summary").first.inner_text()
    page.screenshot(path=str(ARTIFACTS / "chat-follow-up.png"), full_page=True)


def test_thumbs_down_lands_in_the_staff_unanswered_list(live_server: str, page: Any) -> None:
    from playwright.sync_api import expect

    page.goto(f"{live_server}/")
    ask(page, "性能优化服务包括硬件扩容吗？").locator("details.kb-citation").first.wait_for(timeout=30_000)
    page.locator("#kb-chat button[aria-label='踩']").last.click()  # Gradio's zh-CN label for Dislike
    page.wait_for_timeout(1000)  # the feedback event is fire-and-forget
    page.goto(f"{live_server}/staff/")
    page.get_by_role("tab", name="未解决问题 Unanswered").click()
    table = page.locator("#staff-unanswered")
    expect(table).to_contain_text("性能优化服务包括硬件扩容吗？", timeout=30_000)
    expect(table).to_contain_text("不满意 unhelpful")
    page.screenshot(path=str(ARTIFACTS / "staff-unanswered.png"), full_page=True)


def test_markup_in_a_question_is_shown_as_text_and_runs_nothing(live_server: str, page: Any) -> None:
    page.goto(f"{live_server}/")
    ask(page, XSS_QUESTION)
    page.wait_for_timeout(500)
    user_message = page.locator("#kb-chat .message.user").last
    assert '<img src=x onerror="window.__xss=1">' in user_message.inner_text()
    assert "<script>window.__xss=2</script>" in user_message.inner_text()
    assert page.locator("#kb-chat img[src='x']").count() == 0
    assert page.evaluate("window.__xss") is None
    assert page.dialogs == []
    page.screenshot(path=str(ARTIFACTS / "chat-xss.png"), full_page=True)


def test_example_question_is_answered_on_click(live_server: str, page: Any) -> None:
    page.goto(f"{live_server}/")
    page.locator("#kb-chat").get_by_text(EXAMPLE_QUESTIONS[0]).click()
    page.locator("#kb-chat .message.bot details.kb-citation").first.wait_for(timeout=60_000)
    assert EXAMPLE_QUESTIONS[0] in page.locator("#kb-chat .message.user").first.inner_text()


def test_widget_is_embeddable_and_answers(live_server: str, page: Any) -> None:
    page.goto(f"{live_server}/embed-demo")
    frame = page.frame_locator("iframe")
    frame.locator("#kb-question textarea").fill("升级服务包含哪些内容？")
    frame.locator("#kb-question textarea").press("Enter")
    frame.locator("#kb-chat details.kb-citation").first.wait_for(timeout=60_000)
    assert "升级服务" in frame.locator("#kb-chat .message.bot").last.inner_text()
    page.screenshot(path=str(ARTIFACTS / "embed-demo.png"), full_page=True)


def test_staff_search_highlights_clauses_and_offers_a_copyable_answer(live_server: str, page: Any) -> None:
    page.goto(f"{live_server}/staff/")
    page.locator("#staff-query textarea").fill("数据库转换服务包括工具授权吗")
    page.locator("#staff-search").click()
    page.locator("#staff-results details").first.wait_for(timeout=60_000)
    first = page.locator("#staff-results details").first
    assert "数据库转换服务" in first.locator("summary").inner_text()
    assert first.locator("mark").count() >= 1
    page.wait_for_function("() => document.querySelector('#staff-answer textarea').value.includes('数据库转换服务')",
                           timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / "staff-search.png"), full_page=True)

    page.get_by_role("tab", name="目录 Catalog").click()
    page.locator("#staff-catalog").wait_for(timeout=30_000)
    assert "2025-07-01" in page.locator("#staff-catalog").inner_text()
    page.screenshot(path=str(ARTIFACTS / "staff-catalog.png"), full_page=True)


def test_staff_runs_an_uploaded_question_set(live_server: str, page: Any) -> None:
    from playwright.sync_api import expect

    page.goto(f"{live_server}/staff/")
    page.get_by_role("tab", name="评测 Question sets").click()
    page.locator("#staff-eval-upload input[type=file]").set_input_files(str(REPO / "eval/sets/example.jsonl"))
    page.wait_for_timeout(1000)  # the upload finishes before Run reads it
    page.locator("#staff-eval-run").click()
    report = page.locator("#staff-eval-report")
    expect(report).to_contain_text("Finished", timeout=90_000)
    expect(report).to_contain_text("hit@1")
    page.screenshot(path=str(ARTIFACTS / "staff-eval.png"), full_page=True)



# -- catalog text that tries to load remote images ---------------------------------------------------

class RemoteHits:
    """A stand-in for someone else's host: a loopback server that records every request it gets."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        self.planted: list[str] = []  # the image syntax written into the catalog


@contextmanager
def real_bot_served(home: Path, editions: list[Any]) -> Iterator[tuple[str, Any]]:
    """The real bot and knowledge base (fake embeddings) in `home`, the editions ingested in order (the last
    one active), served in-process over loopback; yields the URL and the knowledge base."""
    from bot import CatalogBot
    from bot.surfaces.settings import ServeSettings
    from bot.surfaces.web import create_app
    from kb import KnowledgeBase
    from tests.surfaces.conftest import app_logbook, serve_in_thread

    with pytest.MonkeyPatch.context() as env:
        env.setenv("KB_HOME", str(home))
        env.setenv("KB_EMBEDDINGS", "fake")
        env.delenv("KB_CHROMA_URL", raising=False)
        env.delenv("KB_LLM", raising=False)
        kb = KnowledgeBase.open()
        for edition in editions:
            kb.ingest(edition)
        bot = CatalogBot(kb=kb)
        app = create_app(bot=bot, kb=kb, settings=ServeSettings(), logbook=app_logbook(home / "logbook.sqlite3"))
        with serve_in_thread(app) as url:
            yield url, kb


@pytest.fixture(scope="module")
def poisoned_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, RemoteHits]]:
    """Two editions, the newer one with Markdown images in its clauses; the images point at a recording
    loopback server."""
    from http.server import BaseHTTPRequestHandler

    from ingest import load_catalog
    from tests.conftest import _local_http_server

    hits = RemoteHits()

    class Recorder(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            hits.paths.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    with _local_http_server(Recorder) as remote:
        host = remote.removeprefix("http://")
        inline, relative = f"![x]({remote}/inline.png)", f"![y](//{host}/protocol-relative.png)"
        reference, definition = "![t]", f"[t]: {remote}/reference.png"
        hits.planted = [inline, relative, reference, definition]

        def poison(entry: Any) -> Any:
            if entry.product == "升级服务":  # the description is what a describe answer cites
                items = [*entry.items[:-1], entry.items[-1] + inline]
                return entry.model_copy(update={"description": entry.description + relative, "items": items,
                                                "text": f"{entry.text}{inline}{relative}"})
            if entry.product == "数据迁移服务":
                items = [*entry.items, f"见{reference}", definition]
                return entry.model_copy(update={"items": items, "text": " ".join([entry.text, *items[-2:]])})
            return entry

        bundled = load_catalog()
        editions = [bundled.model_copy(update={"catalog_version": "2025-01-01"}),
                    bundled.model_copy(update={"entries": [poison(e) for e in bundled.entries]})]
        with real_bot_served(tmp_path_factory.mktemp("poisoned_kb"), editions) as (url, _kb):
            yield url, remote, hits


def remote_images(page: Any, remote: str) -> int:
    """<img> elements anywhere in the page (iframes included) whose source is the remote host."""
    host = remote.removeprefix("http://")
    return sum(frame.evaluate("h => [...document.images].filter(i => i.src.includes(h)).length", host)
               for frame in page.frames)


def open_all_details(page: Any) -> None:
    page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")


def test_markdown_images_in_catalog_text_load_nothing_anywhere(poisoned_server: tuple[str, str, RemoteHits],
                                                               page: Any) -> None:
    from playwright.sync_api import expect

    url, remote, hits = poisoned_server
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url) if remote.removeprefix("http://") in
            request.url else None)

    page.goto(f"{url}/")
    for question in ("升级服务包含哪些内容？", "数据迁移服务包括哪些内容？", "升级服务包括上线切换吗？"):
        ask(page, question)
    open_all_details(page)
    page.wait_for_timeout(500)
    images = remote_images(page, remote)

    page.goto(f"{url}/staff/")
    for query, product in (("升级服务包括上线切换吗", "升级服务"), ("数据迁移服务包括哪些内容", "数据迁移服务")):
        page.locator("#staff-query textarea").fill(query)
        page.locator("#staff-search").click()
        expect(page.locator("#staff-results details summary").first).to_contain_text(product, timeout=60_000)
        open_all_details(page)
        page.wait_for_timeout(500)
        images += remote_images(page, remote)
    page.get_by_role("tab", name="目录 Catalog").click()
    expect(page.locator("#staff-catalog")).to_contain_text("数据迁移服务", timeout=30_000)
    open_all_details(page)
    catalog_text = page.locator("#staff-catalog").inner_text()
    page.locator("#staff-diff").click()
    expect(page.locator("#staff-diff-result")).to_contain_text("数据迁移服务", timeout=30_000)
    page.wait_for_timeout(500)
    images += remote_images(page, remote)
    page.screenshot(path=str(ARTIFACTS / "staff-poisoned-diff.png"), full_page=True)

    assert (images, requested, hits.paths) == (0, [], [])
    for planted in hits.planted:  # shown as the text it is
        assert planted in catalog_text


def test_only_the_widget_can_be_framed_by_another_site(live_server: str, page: Any, local_http_server: Any) -> None:
    from http.server import BaseHTTPRequestHandler

    class VendorSite(BaseHTTPRequestHandler):
        """Another origin (another port) that frames both the widget and the staff lookup."""

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            body = (f'<iframe id="widget" src="{live_server}/widget/" width="400" height="600"></iframe>'
                    f'<iframe id="staff" src="{live_server}/staff/" width="400" height="600"></iframe>').encode()
            self.send_response(200)
            self.send_header("content-type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    vendor = local_http_server(VendorSite)
    page.goto(f"{vendor}/")
    page.frame_locator("#widget").locator("#kb-question textarea").wait_for(timeout=60_000)
    page.wait_for_timeout(2000)  # the staff page, were it shown, would have rendered by now as the widget has
    assert page.locator("#staff").element_handle().content_frame().url.startswith("chrome-error:")
    assert page.frame_locator("#staff").locator("#staff-query").count() == 0
    page.screenshot(path=str(ARTIFACTS / "framed-elsewhere.png"), full_page=True)


# -- staff teach the bot from the unanswered view ------------------------------------------------------

UNHEARD_OF = "蓝鲸小组下个季度想搞一次内部的'鲸落计划'，对应你们哪项服务"


@pytest.fixture(scope="module")
def teachable_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    from ingest import load_catalog

    with real_bot_served(tmp_path_factory.mktemp("teach_kb"), [load_catalog()]) as served:
        yield served


def first_cited(answer: Any) -> str:
    citations = answer.locator("details.kb-citation summary")
    return citations.first.inner_text() if citations.count() else ""


def test_staff_turn_an_unanswered_question_with_its_conversation_into_an_example(
        teachable_server: tuple[str, Any], page: Any) -> None:
    from playwright.sync_api import expect

    url, kb = teachable_server
    page.goto(f"{url}/")
    ask(page, "数据迁移服务包括什么？")
    before = ask(page, UNHEARD_OF)
    assert "培训服务" not in first_cited(before)
    page.locator("#kb-chat button[aria-label='踩']").last.click()  # 👎 (an abstention is listed anyway)
    page.wait_for_timeout(1000)

    page.goto(f"{url}/staff/")
    page.get_by_role("tab", name="未解决问题 Unanswered").click()
    table = page.locator("#staff-unanswered")
    expect(table).to_contain_text("鲸落计划", timeout=30_000)
    table.get_by_role("gridcell").filter(has_text="鲸落计划").first.click()
    conversation = page.locator("#staff-conversation")
    expect(conversation).to_contain_text(UNHEARD_OF, timeout=30_000)
    assert conversation.inner_text().index("数据迁移服务包括什么") < conversation.inner_text().index("鲸落计划")
    expect(page.locator("#staff-teach-question textarea")).to_have_value(UNHEARD_OF)
    page.locator("#staff-teach-product input").click()
    page.get_by_role("option", name="培训服务", exact=True).click()
    page.locator("#staff-teach-save").click()
    expect(page.locator("#staff-teach-status")).to_contain_text("Saved", timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / "staff-teach.png"), full_page=True)
    assert [e.products for e in kb.examples_check().active if e.question == UNHEARD_OF] == [["培训服务"]]

    page.goto(f"{url}/")  # the same running server: no restart
    after = ask(page, UNHEARD_OF)
    after.locator("details.kb-citation").first.wait_for(timeout=30_000)
    assert "培训服务" in first_cited(after)


# -- the answer shape in the widget (#12): the start of each answer in view, cards, chips, hand-off ------

LONG_ANSWERS = ["升级服务包含哪些内容？", "安全防护服务是什么", "环境部署服务跟私有云部署与运维支持服务比较一下"]
FIRST_LINE_IN_VIEW = """el => {
  const first = el.querySelector('.message-content p') || el;
  const r = first.getBoundingClientRect(), line = Math.min(r.height, 22);
  let box = el.parentElement;
  while (box && !(/(auto|scroll)/.test(getComputedStyle(box).overflowY) && box.scrollHeight > box.clientHeight + 1)) {
    box = box.parentElement;
  }
  const b = box ? box.getBoundingClientRect() : {top: 0, bottom: innerHeight};
  return {text: first.innerText.slice(0, 40), inBox: r.top >= b.top - 1 && r.top + line <= b.bottom + 1,
          inWindow: r.top >= 0 && r.top + line <= innerHeight, scrolled: box ? box.scrollTop : 0};
}"""


def answered(root: Any, question: str) -> Any:
    """Ask in `root` (a page or an iframe's frame locator) and return the last bot message, complete."""
    answers = root.locator("#kb-chat .message.bot")
    before = answers.count()
    root.locator("#kb-question textarea").fill(question)
    root.locator("#kb-question button.submit-button").click()  # Send is a button
    for _ in range(600):
        if answers.count() > before and root.locator("#kb-chat .pending").count() == 0 \
                and answers.last.locator("details.kb-citation").count():
            break
        time.sleep(0.1)
    time.sleep(0.5)  # the view settles on the answer's start as its cards render
    return answers.last


@pytest.mark.parametrize("where", ["desktop", "phone", "iframe"])
def test_the_verdict_sentence_is_in_view_after_each_answer(live_server: str, browser: Any, where: str) -> None:
    viewport = {"width": 390, "height": 844} if where == "phone" else {"width": 1280, "height": 800}
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    context.add_init_script(RECORD_CSP_VIOLATIONS)
    page = context.new_page()
    page.goto(f"{live_server}/embed-demo" if where == "iframe" else f"{live_server}/")
    root = page.frame_locator("iframe") if where == "iframe" else page
    root.locator("#kb-question textarea").wait_for(timeout=60_000)
    scrolled = []
    for number, question in enumerate(LONG_ANSWERS, 1):
        answer = answered(root, question)
        view = answer.evaluate(FIRST_LINE_IN_VIEW)
        page.screenshot(path=str(ARTIFACTS / f"answer-start-{where}-{number}.png"))
        assert view["inBox"] and view["inWindow"], (question, view)
        scrolled.append(view["scrolled"])
    assert scrolled[-1] > 0  # the chat did move to later answers: not merely the first one on an empty chat
    assert csp_violations(page) == []
    context.close()


def test_citation_cards_are_collapsed_and_numbered(live_server: str, page: Any) -> None:
    page.goto(f"{live_server}/")
    answer = answered(page, "升级服务包含哪些内容？")
    cards = answer.locator("details.kb-citation")
    numbers = re.findall(r"\[(\d+)\]", answer.locator(".message-content p").first.inner_text())
    assert cards.count() == len(set(numbers)) >= 4
    assert all(cards.nth(n).get_attribute("open") is None for n in range(cards.count()))
    summary = cards.first.locator("summary").inner_text()
    assert summary.startswith("[1]") and "升级服务 · 升级服务 · 第 1 页" in summary
    cards.nth(1).locator("summary").click()
    assert "方案制定" in cards.nth(1).locator("blockquote").inner_text()
    page.screenshot(path=str(ARTIFACTS / "chat-cards.png"), full_page=True)


def test_follow_up_chips_ask_their_question(live_server: str, page: Any) -> None:
    from playwright.sync_api import expect

    page.goto(f"{live_server}/")
    answered(page, "升级服务里会帮我们搭测试环境吗")
    chips = page.locator("#kb-chat .options button.option")
    expect(chips.first).to_be_visible(timeout=30_000)
    assert 2 <= chips.count() <= 3
    chip = chips.first.inner_text().strip()
    users = page.locator("#kb-chat .message.user")
    before = page.locator("#kb-chat .message.bot").count()
    chips.first.click()
    expect(users.last).to_contain_text(chip, timeout=30_000)
    page.wait_for_function("n => document.querySelectorAll('#kb-chat .message.bot').length > n", arg=before,
                           timeout=60_000)
    page.wait_for_selector("#kb-chat .pending", state="detached", timeout=60_000)
    page.screenshot(path=str(ARTIFACTS / "chat-chips.png"), full_page=True)


def test_examples_and_send_look_like_buttons(live_server: str, page: Any) -> None:
    page.goto(f"{live_server}/")
    example = page.locator("#kb-chat button.example").first
    send = page.locator("#kb-question button.submit-button")
    example.wait_for(timeout=60_000)
    style = "b => { const s = getComputedStyle(b); return {cursor: s.cursor, border: s.borderTopWidth, background:" \
            " s.backgroundColor, around: getComputedStyle(b.closest('.block')).backgroundColor}; }"
    outlined, filled = example.evaluate(style), send.evaluate(style)
    assert outlined["cursor"] == filled["cursor"] == "pointer"
    assert outlined["border"] != "0px", outlined  # an outlined button, not a line of text
    assert filled["background"] != filled["around"], filled  # a filled button on the input
    page.screenshot(path=str(ARTIFACTS / "chat-empty.png"), full_page=True)
    example.click()  # and they work as buttons
    page.locator("#kb-chat .message.bot details.kb-citation").first.wait_for(timeout=60_000)


def test_hand_off_shows_the_contact_and_reaches_the_staff_view(live_server: str, page: Any) -> None:
    from playwright.sync_api import expect

    from tests.surfaces.conftest import SUPPORT_CONTACT

    question = "数据结转服务能把十年前的数据也结转吗"
    page.goto(f"{live_server}/")
    answered(page, question)
    page.locator("#kb-handoff").click()
    expect(page.locator("#kb-chat .message.bot").last).to_contain_text(SUPPORT_CONTACT, timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / "chat-hand-off.png"), full_page=True)
    page.goto(f"{live_server}/staff/")
    page.get_by_role("tab", name="未解决问题 Unanswered").click()
    table = page.locator("#staff-unanswered")
    expect(table).to_contain_text("转人工 hand-off", timeout=30_000)
    table.get_by_role("gridcell").filter(has_text=question).first.click()
    expect(page.locator("#staff-conversation")).to_contain_text("客户要求转人工", timeout=30_000)
    expect(page.locator("#staff-conversation")).to_contain_text(question)


@pytest.mark.parametrize("path", ["/", "/widget/"])
def test_the_customer_pages_link_nowhere_near_the_staff_lookup(live_server: str, page: Any, path: str) -> None:
    page.goto(f"{live_server}{path}")
    page.locator("#kb-question textarea").wait_for(timeout=60_000)
    assert page.locator("a[href*='staff']").count() == 0 and "Staff lookup" not in page.content()


# -- the reviewer's findings on the README screenshots: phone layout, chips, cards, the hand-off note ------

VIEWPORT_META = """() => [...document.querySelectorAll('meta[name=viewport]')].map(m => m.content.replace(/\\s/g, ''))"""
BOX_IN_VIEW = """(el, width) => { const r = el.getBoundingClientRect(); return r.left >= 0 && r.right <= width && r.width > 0; }"""


@pytest.mark.parametrize("path", ["/embed-demo", "/", "/widget/"])
def test_the_pages_declare_a_device_width_viewport(live_server: str, page: Any, path: str) -> None:
    page.goto(f"{live_server}{path}")
    metas = page.evaluate(VIEWPORT_META)
    assert metas and all("width=device-width" in m and "initial-scale=1" in m for m in metas), metas


def test_the_embed_demo_stacks_on_a_phone_with_the_whole_widget_in_view(live_server: str, browser: Any) -> None:
    """A 390 px phone (a mobile browser, which lays a page without a viewport meta out 980 px wide): no
    sideways scrolling, and the widget with Send and 转人工 inside the screen."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  device_scale_factor=2, locale="zh-CN")
    context.add_init_script(RECORD_CSP_VIOLATIONS)
    page = context.new_page()
    page.goto(f"{live_server}/embed-demo")
    frame = page.frame_locator("iframe")
    send, hand_off = frame.locator("#kb-question button.submit-button"), frame.locator("#kb-handoff")
    hand_off.wait_for(timeout=60_000)
    page.wait_for_timeout(500)
    layout = page.evaluate("() => ({inner: innerWidth, scroll: document.documentElement.scrollWidth})")
    page.screenshot(path=str(ARTIFACTS / "embed-demo-phone.png"), full_page=True)
    assert layout == {"inner": 390, "scroll": 390}, layout
    article, iframe = page.locator("article").bounding_box(), page.locator("iframe").bounding_box()
    assert iframe["y"] >= article["y"] + article["height"] and iframe["x"] + iframe["width"] <= 390  # stacked
    for button in (send, hand_off):
        box = button.bounding_box()
        assert box and box["x"] >= iframe["x"] and box["x"] + box["width"] <= min(390, iframe["x"] + iframe["width"]), box
    assert csp_violations(page) == []
    context.close()


def test_chips_sit_under_the_answer_on_the_left_each_on_one_line(live_server: str, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    context.add_init_script(RECORD_CSP_VIOLATIONS)
    page = context.new_page()
    page.goto(f"{live_server}/")
    answer = answered(page, "升级服务包括搭建测试环境吗？")
    chips = page.locator("#kb-chat .options button.option")
    chips.first.wait_for(timeout=30_000)
    bubble, question = answer.bounding_box(), page.locator("#kb-chat .message.user").last.bounding_box()
    boxes = [chips.nth(n).bounding_box() for n in range(chips.count())]
    page.screenshot(path=str(ARTIFACTS / "chips-desktop.png"))
    assert boxes and all(box["y"] >= bubble["y"] + bubble["height"] for box in boxes)  # under the answer
    assert abs(boxes[0]["x"] - bubble["x"]) <= 4, (boxes[0], bubble)  # starting where the answer starts
    assert all(box["x"] + box["width"] < question["x"] for box in boxes[:1]), (boxes, question)
    one_line = min(box["height"] for box in boxes)
    assert all(box["height"] <= one_line + 2 for box in boxes), boxes  # "…有什么区别？" is not wrapped in a pill
    assert csp_violations(page) == []
    context.close()


def test_an_opened_card_shows_its_quote_right_under_its_title(live_server: str, page: Any) -> None:
    page.goto(f"{live_server}/")
    card = answered(page, "升级服务包括搭建测试环境吗？").locator("details.kb-citation").first
    card.locator("summary").click()
    gap = card.evaluate("d => d.querySelector('blockquote').getBoundingClientRect().top"
                        " - d.querySelector('summary').getBoundingClientRect().bottom")
    page.screenshot(path=str(ARTIFACTS / "card-open.png"))
    assert 0 <= gap <= 8, gap


def test_the_hand_off_note_offers_no_feedback_buttons(live_server: str, page: Any) -> None:
    """👍/👎 land on the answer they follow (its log entry); the note has none, so it shows none."""
    from playwright.sync_api import expect

    from tests.surfaces.conftest import SUPPORT_CONTACT

    page.goto(f"{live_server}/")
    answered(page, "升级服务包括搭建测试环境吗？")
    page.locator("#kb-handoff").click()
    expect(page.locator("#kb-chat .message.bot").last).to_contain_text(SUPPORT_CONTACT, timeout=30_000)
    page.wait_for_timeout(500)
    feedback = page.evaluate("""() => [...document.querySelectorAll('#kb-chat .message-row.bot-row')].map(row => {
      const buttons = row.nextElementSibling && row.nextElementSibling.classList.contains('message-buttons')
        ? [...row.nextElementSibling.querySelectorAll('button')] : [];
      return buttons.filter(b => b.offsetParent !== null && /^(赞|踩|Like|Dislike)$/.test(b.getAttribute('aria-label'))).length;
    })""")
    page.screenshot(path=str(ARTIFACTS / "hand-off-note.png"))
    assert feedback == [2, 0], feedback  # the answer keeps 👍 and 👎; the note has neither
