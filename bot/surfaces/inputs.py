"""What one request may ask: the question and the conversation history, checked the same way for the API
and the chat, so an odd input is a message the client can act on instead of a 500 deep in the bot.

The history costs the bot time in proportion to its length (product names and follow-ups are looked for
in it), so a request carries a bounded amount of it; of that, the bot sees the most recent turns only.
"""
from __future__ import annotations

import re

from bot.surfaces.settings import ServeSettings

# Follow-ups refer to the last few turns; the bot sees at most this many of the history's messages.
MAX_HISTORY_MESSAGES = 20
# A lone UTF-16 surrogate (JSON "\ud800") is no character: it cannot be stored or encoded as UTF-8.
_SURROGATE = re.compile("[\ud800-\udfff]")


class InputRejected(ValueError):
    """`message` is for API clients (English), `zh` the same for the Chinese chat page."""

    def __init__(self, message: str, code: str, zh: str = "") -> None:
        super().__init__(message)
        self.message, self.code, self.zh = message, code, zh


def check_question(text: str, settings: ServeSettings) -> str:
    """The stripped question, or InputRejected."""
    question = text.strip()
    if not question:
        raise InputRejected("The question (the last user message) is empty.", "empty_question", "请输入问题。")
    if len(question) > settings.max_question_chars:
        raise InputRejected(
            f"The question is too long: {len(question)} characters, the limit is {settings.max_question_chars}. "
            "Please shorten it.",
            "question_too_long",
            f"问题太长（{len(question)} 字），请控制在 {settings.max_question_chars} 字以内。",
        )
    _check_text(question, "The question")
    return question


def check_history(turns: list[dict[str, str]], settings: ServeSettings) -> list[dict[str, str]]:
    """Client-sent history (user and assistant turns, oldest first) within the limits, or InputRejected;
    returns the turns the bot is to see."""
    if len(turns) > settings.max_history_messages:
        raise InputRejected(
            f"The conversation history is too long: {len(turns)} messages, the limit is "
            f"{settings.max_history_messages}. Send only the recent turns.", "history_too_long")
    chars = sum(len(turn["content"]) for turn in turns)
    if chars > settings.max_history_chars:
        raise InputRejected(
            f"The conversation history is too long: {chars} characters, the limit is {settings.max_history_chars}."
            " Send only the recent turns.", "history_too_long")
    for turn in turns:
        _check_text(turn["content"], "A message of the history")
    return turns[-MAX_HISTORY_MESSAGES:]


def recent_history(turns: list[dict[str, str]], settings: ServeSettings) -> list[dict[str, str]]:
    """Server-held history (the chat page keeps it): nothing to reject, the customer did not send it, so
    the most recent turns that fit the limits."""
    kept: list[dict[str, str]] = []
    chars = 0
    for turn in reversed(turns[-min(MAX_HISTORY_MESSAGES, settings.max_history_messages):]):
        chars += len(turn["content"])
        if chars > settings.max_history_chars:
            break
        kept.append(turn)
    return kept[::-1]


def _check_text(text: str, what: str) -> None:
    if _SURROGATE.search(text):
        raise InputRejected(f"{what} is not valid Unicode text: it contains a lone surrogate (e.g. \\ud800).",
                            "invalid_text", "内容含有无效字符，请删除后重试。")
