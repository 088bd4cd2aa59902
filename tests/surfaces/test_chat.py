"""The chat event functions with the fake bot: what is displayed, what the bot sees, what is logged."""
from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import gradio as gr
import pytest

from bot.models import StreamEvent
from bot.surfaces.chat import FAILURE_MESSAGE, ChatHandlers
from bot.surfaces.logbook import Logbook
from bot.surfaces.settings import ServeSettings
from tests.surfaces.conftest import FakeBot
from tests.surfaces.serving import full_logbook

REQUEST = SimpleNamespace(session_hash="session-1")


@pytest.fixture
def handlers(fake_bot: FakeBot, logbook: Logbook) -> ChatHandlers:
    return ChatHandlers(fake_bot, ServeSettings(max_question_chars=100), logbook, lambda: fake_bot.kb.catalog)


def converse(handlers: ChatHandlers, question: str, chat: list[Any], turns: list[Any]) -> tuple[list[Any], list[Any]]:
    _, chat, turns = handlers.add_question(question, chat, turns)
    *_, (chat, turns) = handlers.stream_answer(chat, turns, REQUEST)
    return chat, turns


def test_question_is_displayed_escaped_but_the_bot_gets_it_raw(handlers: ChatHandlers, fake_bot: FakeBot) -> None:
    chat, turns = converse(handlers, "升级服务<b>包含</b>什么？", [], [])
    assert chat[0]["content"] == "升级服务&lt;b&gt;包含&lt;/b&gt;什么？"
    assert fake_bot.calls[-1] == ("升级服务<b>包含</b>什么？", [])
    assert '<details class="kb-citation">' in chat[1]["content"]
    assert [t["role"] for t in turns] == ["user", "assistant"]


def test_answer_streams_before_the_final_message(handlers: ChatHandlers) -> None:
    _, chat, turns = handlers.add_question("升级服务包含什么？", [], [])
    steps = [step[0][-1]["content"] for step in handlers.stream_answer(chat, turns, REQUEST)]
    assert len(steps) > 2
    assert steps[0] != steps[-1] and "<details" not in steps[0] and "<details" in steps[-1]


def test_follow_up_sends_the_earlier_turns_as_history(handlers: ChatHandlers, fake_bot: FakeBot) -> None:
    chat, turns = converse(handlers, "升级服务包含什么？", [], [])
    converse(handlers, "数据迁移服务呢？", chat, turns)
    question, history = fake_bot.calls[-1]
    assert question == "数据迁移服务呢？"
    assert history[0] == {"role": "user", "content": "升级服务包含什么？"}
    assert history[1]["role"] == "assistant" and "升级服务" in history[1]["content"]


def test_dislike_puts_the_question_on_the_unanswered_list(handlers: ChatHandlers, logbook: Logbook) -> None:
    chat, turns = converse(handlers, "升级服务包含什么？", [], [])
    handlers.feedback(turns, gr.LikeData(None, {"index": 1, "value": chat[1]["content"], "liked": False}))
    assert [e.question for e in logbook.unanswered()] == ["升级服务包含什么？"]
    handlers.feedback(turns, gr.LikeData(None, {"index": 1, "value": chat[1]["content"], "liked": True}))
    assert logbook.unanswered() == []


class BrokenBot(FakeBot):
    def stream(self, question: str, history: list[Any] | None = None) -> Iterator[StreamEvent]:
        yield StreamEvent(delta="部分")
        raise RuntimeError("store went away")


def test_a_failing_bot_still_ends_the_turn_so_later_feedback_stays_aligned(logbook: Logbook) -> None:
    handlers = ChatHandlers(BrokenBot(), ServeSettings(), logbook)
    chat, turns = converse(handlers, "升级服务包含什么？", [], [])
    assert chat[-1]["content"] == FAILURE_MESSAGE and len(chat) == len(turns) == 2
    handlers.bot = FakeBot()
    chat, turns = converse(handlers, "数据迁移服务呢？", chat, turns)
    handlers.feedback(turns, gr.LikeData(None, {"index": 3, "value": chat[3]["content"], "liked": False}))
    assert [e.question for e in logbook.unanswered()] == ["数据迁移服务呢？"]


def test_abstentions_are_logged_as_unanswered(handlers: ChatHandlers, logbook: Logbook) -> None:
    converse(handlers, "今天天气怎么样", [], [])
    assert logbook.unanswered()[0].abstained


@pytest.mark.parametrize("question", ["", "   ", "升" * 101])
def test_empty_or_over_long_questions_are_refused_with_a_message(handlers: ChatHandlers, question: str) -> None:
    with pytest.raises(gr.Error):
        handlers.add_question(question, [], [])


def test_api_chat_returns_the_answer_and_citations(handlers: ChatHandlers, fake_bot: FakeBot) -> None:
    result = handlers.api_chat("数据迁移服务呢？", [{"role": "user", "content": "升级服务"}, {"role": "bogus"}])
    assert result["citations"][0]["product"] == "数据迁移服务"
    assert fake_bot.calls[-1][1] == [{"role": "user", "content": "升级服务"}]


def test_a_question_with_a_lone_surrogate_is_refused_with_a_message(handlers: ChatHandlers) -> None:
    with pytest.raises(gr.Error, match="lone surrogate"):
        handlers.add_question("升级服务\ud800包含什么？", [], [])


@pytest.mark.parametrize("history", [
    [{"role": "user", "content": "升级服务"}] * 101,
    [{"role": "user", "content": "a" * 1_000_001}],
    [{"role": "user", "content": "\ud800"}],
])
def test_api_chat_refuses_an_odd_history_with_a_message(handlers: ChatHandlers, history: list[dict[str, str]]) -> None:
    with pytest.raises(gr.Error, match="history"):
        handlers.api_chat("升级服务包含什么？", history)


def test_the_bot_sees_the_recent_turns_that_fit_the_history_limit(fake_bot: FakeBot, logbook: Logbook) -> None:
    question = "升级服务包含什么？" + "请详细说明" * 10  # 59 characters, its answer 45
    for limit, roles in [(60, ["assistant"]), (200, ["user", "assistant"])]:
        handlers = ChatHandlers(fake_bot, ServeSettings(max_history_chars=limit), logbook)
        chat, turns = converse(handlers, question, [], [])
        converse(handlers, "数据迁移服务呢？", chat, turns)
        assert [turn["role"] for turn in fake_bot.calls[-1][1]] == roles  # the newest turns that fit


def test_a_full_disk_under_the_log_still_shows_the_answer(fake_bot: FakeBot, tmp_path: Any) -> None:
    handlers = ChatHandlers(fake_bot, ServeSettings(), full_logbook(tmp_path / "log.sqlite3"))
    chat, turns = converse(handlers, "升级服务包含什么？" + "很长的问题" * 300, [], [])
    assert '<details class="kb-citation">' in chat[1]["content"] and turns[1]["exchange_id"] is None
    handlers.feedback(turns, gr.LikeData(None, {"index": 1, "value": chat[1]["content"], "liked": False}))


# -- answers, chips and the hand-off (#12) ------------------------------------------------------------

def test_each_citation_is_a_collapsed_card_numbered_as_in_the_text() -> None:
    from bot.models import Answer, Citation
    from bot.surfaces.render import chat_markdown

    clauses = ["升级测试：搭建升级测试环境，执行升级操作；", "功能测试：共同完成关键功能点测试；"]
    answer = Answer(answer="包括。升级服务的服务内容有「升级测试：搭建升级测试环境，执行升级操作」[1]，还有「功能测试」[2]。",
                    citations=[Citation(product="升级服务", category="升级服务", page=1, quote=q) for q in clauses],
                    verdict="included", catalog_version="2025-07-01")
    rendered = chat_markdown(answer)
    cards = rendered.split('<details class="kb-citation">')[1:]
    assert len(cards) == 2 and " open" not in rendered  # one per [n], collapsed
    for number, (card, clause) in enumerate(zip(cards, clauses), 1):
        summary = card.split("</summary>", 1)[0]
        assert f"[{number}]" in summary and "升级服务 · 升级服务 · 第 1 页" in summary and clause in summary
        assert clause.replace("：", "\\：") in card or clause in card  # the quote, whole, when opened
    assert rendered.index("[1]") < rendered.index('<details class="kb-citation">')  # the text first, cards under it


def test_the_final_answer_offers_follow_up_chips_that_ask_their_question(handlers: ChatHandlers,
                                                                         fake_bot: FakeBot) -> None:
    _, chat, turns = handlers.add_question("升级服务包含什么？", [], [])
    steps = [step[0][-1] for step in handlers.stream_answer(chat, turns, REQUEST)]
    assert all("options" not in step for step in steps[:-1])  # chips come with the final answer only
    chips = [option["value"] for option in steps[-1]["options"]]
    assert 2 <= len(chips) <= 3 and "升级服务包含什么？" not in chips
    assert chips[0] == "升级服务包括方案制定吗？"
    *_, (chat, turns) = handlers.stream_answer(chat, turns, REQUEST)
    _, chat, turns = handlers.add_follow_up(chat, turns, gr.SelectData(None, {"index": 0, "value": chips[0]}))
    assert turns[-1] == {"role": "user", "content": chips[0]} and chat[-1]["role"] == "user"
    *_, (chat, turns) = handlers.stream_answer(chat, turns, REQUEST)
    assert fake_bot.calls[-1][0] == chips[0]


def test_abstentions_offer_no_chips(handlers: ChatHandlers) -> None:
    chat, _ = converse(handlers, "今天天气怎么样", [], [])
    assert "options" not in chat[-1]


def test_hand_off_shows_the_contact_and_files_the_conversation_for_staff(handlers: ChatHandlers, logbook: Logbook,
                                                                          fake_bot: FakeBot,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.surfaces.staff import conversation_markdown, unanswered_rows

    monkeypatch.setenv("KB_SUPPORT_CONTACT", "400-830-0555 (test desk)")
    chat, turns = converse(handlers, "升级服务包含什么？", [], [])
    chat, turns = handlers.hand_off(chat, turns, REQUEST)
    assert "400-830-0555 (test desk)" in chat[-1]["content"] and len(chat) == len(turns) == 3
    [row] = logbook.unanswered()
    assert (row.kind, row.question, row.session) == ("handoff", "升级服务包含什么？", "session-1")
    assert unanswered_rows(logbook)[0][2] == "转人工 hand-off"
    conversation = logbook.conversation(row.id)
    assert [turn.kind for turn in conversation] == ["answer", "handoff"]
    shown = conversation_markdown(conversation)
    assert "升级服务包含什么" in shown and "客户要求转人工" in shown

    chat, turns = handlers.hand_off(chat, turns, REQUEST)  # pressed again, nothing new asked: filed once
    assert len(logbook.unanswered()) == 1 and len(chat) == len(turns) == 4
    chat, turns = converse(handlers, "数据迁移服务呢？", chat, turns)
    assert not any("转人工" in turn["content"] for turn in fake_bot.calls[-1][1])  # the bot reads no hand-off notes
    handlers.feedback(turns, gr.LikeData(None, {"index": 5, "value": chat[5]["content"], "liked": False}))
    assert [e.question for e in logbook.unanswered()][0] == "数据迁移服务呢？"  # feedback still finds its question


def test_hand_off_before_any_question_shows_the_contact_and_files_nothing(handlers: ChatHandlers,
                                                                          logbook: Logbook) -> None:
    chat, turns = handlers.hand_off([], [], REQUEST)
    assert len(chat) == len(turns) == 1 and logbook.unanswered() == []


def test_a_log_written_before_hand_offs_opens_and_takes_them(tmp_path: Any) -> None:
    import sqlite3
    from contextlib import closing

    path = tmp_path / "old.sqlite3"
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("CREATE TABLE exchanges (id INTEGER PRIMARY KEY AUTOINCREMENT, created_at REAL NOT NULL,"
                   " surface TEXT NOT NULL, session TEXT NOT NULL, question TEXT NOT NULL, answer TEXT NOT NULL,"
                   " abstained INTEGER NOT NULL, verdict TEXT, citations TEXT NOT NULL, catalog_version TEXT NOT NULL,"
                   " feedback INTEGER, feedback_at REAL)")
        db.execute("INSERT INTO exchanges (created_at, surface, session, question, answer, abstained, citations,"
                   " catalog_version) VALUES (strftime('%s','now'), 'web', 's', '讲个笑话', '抱歉', 1, '[]', 'v')")
    book = Logbook(path)
    try:
        assert book.record_hand_off("讲个笑话", "转人工", surface="web", session="s") is not None
        assert [(e.kind, e.question) for e in book.unanswered()] == [("handoff", "讲个笑话"), ("answer", "讲个笑话")]
    finally:
        book.close()


def test_the_customer_pages_do_not_link_to_the_staff_lookup(tmp_path: Any) -> None:
    import httpx

    from tests.surfaces.conftest import make_app, serve_in_thread

    with serve_in_thread(make_app(FakeBot(), tmp_path)) as url:
        for page in ("/", "/widget/"):
            html = httpx.get(f"{url}{page}").text
            config = httpx.get(f"{url}{page.rstrip('/')}/config").text
            assert "kb-chat" in html + config
            assert "/staff" not in html and "/staff" not in config and "Staff lookup" not in config
