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
    return ChatHandlers(fake_bot, ServeSettings(max_question_chars=100), logbook)


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
