from __future__ import annotations

import pytest

from bot.hygiene import MAX_QUESTION_CHARS, QuestionTooLong, clean_question


def test_zero_width_bidi_and_control_characters_are_removed():
    dirty = "升级\u200b服务\u202e包括\x07什么\u2066？"
    assert clean_question(dirty) == "升级服务包括什么?"


def test_whitespace_is_collapsed_and_trimmed():
    assert clean_question("  培训服务 \n\t 是什么  ") == "培训服务 是什么"


@pytest.mark.parametrize("pasted, shown", [
    ("<b>培训服务</b> 是什么", "培训服务 是什么"),
    ("<script>alert(1)</script>培训服务是什么", "培训服务是什么"),  # a script's body is no text either
    ("<img src=x onerror=alert(1)>驻场服务是什么", "驻场服务是什么"),
    ("人数<5人的公司能买吗", "人数<5人的公司能买吗"),  # a less-than sign is no tag
    ("interfaces (MES <-> Kingdee)?", "interfaces (MES <-> Kingdee)?"),
    ("<![A:", "<![A:"),  # a malformed declaration stays text
])
def test_markup_is_read_as_the_text_it_shows(pasted, shown):
    assert clean_question(pasted) == shown


def test_length_cap():
    clean_question("问" * MAX_QUESTION_CHARS)
    with pytest.raises(QuestionTooLong, match="limit"):
        clean_question("问" * (MAX_QUESTION_CHARS + 1))


@pytest.mark.parametrize("question, expected", [
    ("定制開發維護服務有沒有包含客製化功能造成的資料問題？", "定制开发维护服务有没有包含客制化功能造成的数据问题?"),
    ("現場服務包最多幾天", "现场服务包最多几天"),
    ("客户资料要清理,升级服务包括吗", "客户资料要清理,升级服务包括吗"),  # simplified stays as typed
    ("Does the upgrade include data migration?", "Does the upgrade include data migration?"),
])
def test_traditional_characters_are_read_as_simplified(question, expected):
    assert clean_question(question) == expected


@pytest.mark.parametrize("question, expected", [
    ("你哋嗰個私有雲係咪包埋備份", "你们那个私有云是不是包括备份"),  # traditional Cantonese
    ("升级服务有冇包测试环境，使唔使我哋自己搵server", "升级服务有没有包测试环境,需不需要我们自己找server"),
    ("系统迁移服务呢？那个系统呢", "系统迁移服务呢?那个系统呢"),  # standard Chinese stays as typed
])
def test_written_cantonese_is_read_as_standard_chinese(question, expected):
    assert clean_question(question) == expected


@pytest.mark.parametrize("question, cleaned", [
    ("旧 会计系统 的 数据 搬到 新 系统 以后, 金蝶 还 继续 跟进 吗?", "旧会计系统的数据搬到新系统以后, 金蝶还继续跟进吗?"),
    ("环境部署 打补丁 备份 管不管", "环境部署 打补丁 备份 管不管"),  # listed items, no word standing alone
    ("安全防护服务里头有没有渗透测试 等保要用", "安全防护服务里头有没有渗透测试 等保要用"),  # a pause
])
def test_chinese_spaced_word_by_word_is_read_unspaced(question, cleaned):
    assert clean_question(question) == cleaned
