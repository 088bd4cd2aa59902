"""The answer's language is the language most of the question is written in: one rule, in
bot.understand.detect_language, used by every answer."""
from __future__ import annotations

import pytest

from bot.understand import detect_language


@pytest.mark.parametrize("question, lang", [
    ("K3 Cloud 升级服务包括数据迁移吗", "zh"),
    ("K3 Cloud 升级服务包括迁移吗", "zh"),            # six Latin letters, five Chinese characters: still Chinese
    ("SQL Server 换 Oracle 数据库，有什么服务", "zh"),
    ("ERP 系统太卡了", "zh"),
    ("db换型 有服务没", "zh"),
    ("xinchuang服务 包括啥", "zh"),
    ("Does 数据库转换服务 include tool licensing?", "en"),
    ("Does the upgrade service include data migration?", "en"),
    ("Is 升级服务 part of K3 Cloud support?", "en"),
    ("", "zh"),
])
def test_the_language_most_of_the_question_is_written_in(question: str, lang: str) -> None:
    assert detect_language(question) == lang


@pytest.mark.parametrize("question, lang", [
    ("what is 信创服务", "en"),
    ("Does the 培训服务 cover onboarding courses?", "en"),
    ("K3 Cloud 升级服务包括数据迁移吗", "zh"),
    ("K3 Cloud 升级服务包括迁移吗", "zh"),
    ("PaaS Lab 是什么", "zh"),
])
def test_a_product_name_counts_as_one_word(find_mentions, question: str, lang: str) -> None:
    assert detect_language(question, find_mentions(question)) == lang


def test_the_bot_answers_a_mixed_question_in_chinese(catalog_bot) -> None:
    answer = catalog_bot.ask("K3 Cloud 升级服务包括数据迁移吗")
    assert answer.citations and not answer.abstained
    assert not any(word in answer.answer for word in ("Yes.", "No.", "Not stated", "Upgrade Service"))
