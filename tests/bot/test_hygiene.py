from __future__ import annotations

import pytest

from bot.hygiene import MAX_QUESTION_CHARS, QuestionTooLong, clean_question


def test_zero_width_bidi_and_control_characters_are_removed():
    dirty = "升级\u200b服务\u202e包括\x07什么\u2066？"
    assert clean_question(dirty) == "升级服务包括什么?"


def test_whitespace_is_collapsed_and_trimmed():
    assert clean_question("  培训服务 \n\t 是什么  ") == "培训服务 是什么"


def test_markup_is_kept_as_text():
    assert clean_question("<b>培训服务</b> 是什么") == "<b>培训服务</b> 是什么"


def test_length_cap():
    clean_question("问" * MAX_QUESTION_CHARS)
    with pytest.raises(QuestionTooLong, match="limit"):
        clean_question("问" * (MAX_QUESTION_CHARS + 1))
