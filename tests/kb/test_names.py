from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kb.names import ProductMatcher


@pytest.fixture(scope="module")
def matcher(catalog) -> ProductMatcher:
    return ProductMatcher(catalog)


def products(matcher: ProductMatcher, text: str) -> list[str]:
    return [match.entry.id for match in matcher.match(text)]


@pytest.mark.parametrize(("text", "product", "kind"), [
    ("数据库转换服务包含哪些内容", "数据库转换服务", "exact"),
    ("苍穹 paas 实验室是干啥的", "苍穹PaaS实验室", "exact"),
    ("你们的性能优化能做什么", "性能优化服务", "alias"),
    ("数据库转化服务包括什么", "数据库转换服务", "fuzzy"),
    ("性能优话有啥用", "性能优化服务", "fuzzy"),
    ("私有云部署服务会提供服务器吗", "私有云部署与运维支持服务", "alias"),  # the first of two joined things
    ("诊断服务是派人来现场装工具吗", "业务应用诊断服务", "alias"),  # the name's last word, which no other name has
    ("PaaS实验室是个啥", "苍穹PaaS实验室", "alias"),  # without the first of the name's words
    ("基础资料乱七八糟的 数据清理能清吗", "数据调整与清理服务", "alias"),  # the head with the second joined thing
    ("私有云运维那个服务有没有巡检", "私有云部署与运维支持服务", "alias"),
    ("私有云运维支持包不包括打补丁", "私有云部署与运维支持服务", "alias"),
    ("信创服物包括哪些", "信创服务", "fuzzy"),
    ("数据库转服务", "数据库转换服务", "fuzzy"),
    ("What does the Database Conversion Service cover?", "数据库转换服务", "english"),
    ("is a data carry forward service available", "数据结转服务", "english"),
    ("Tell me about the Cosmic PaaS lab", "苍穹PaaS实验室", "english"),
    # the one product called a package, after a conversation about two on-site services (3 writers of blind79-83)
    ("And the package one? How many days would we get?", "现场服务包", "english"),
])
def test_names_are_found_exactly_as_near_misses_and_in_english(matcher, text, product, kind):
    match = matcher.match(text)[0]
    assert (match.entry.id, match.kind) == (product, kind)
    assert text[match.start:match.end] == match.text and 0 < match.score <= 1


def test_the_longest_name_wins_and_a_name_does_not_end_inside_a_word(matcher):
    assert products(matcher, "现场服务包有多少人天") == ["现场服务包"]
    assert products(matcher, "现场服务包括电话支持吗") == ["现场服务"]


def test_a_stem_followed_by_other_words_is_the_stem_not_a_typo_of_the_name(matcher):
    """"定制开发维护管不管修" names 定制开发维护 (the stem), not 定制开发维护服务 misspelt as 定制开发维护管不."""
    [match] = matcher.match("二开功能老报错 定制开发维护管不管修")
    assert (match.text, match.entry.product) == ("定制开发维护", "定制开发维护服务")
    assert matcher.match("定制开发维护服物")[0].text == "定制开发维护服物"  # a typo of 服务 still is one


def test_several_names_are_all_found_best_first(matcher):
    found = matcher.match("培训服务和苍穹 PaaS 实验室有什么差别，还有性能优话")
    assert [m.entry.id for m in found][:2] == ["培训服务", "苍穹PaaS实验室"]
    assert found[-1].entry.id == "性能优化服务" and found[-1].kind == "fuzzy"


@pytest.mark.parametrize("text", ["现场服务包和现场服务的区别", "Could you contrast 现场服务包 with 现场服务?",
                                  "the on-site service package and the on-site service",
                                  # a name's words written together (blind98)
                                  "Onsite service package vs. onsite service: which fits a one-off job?"])
def test_a_name_inside_another_is_found_again_on_its_own(matcher, text):
    assert [m.entry.id for m in matcher.match(text)] == ["现场服务包", "现场服务"]


def test_a_name_inside_a_longer_alias_is_part_of_it(matcher):
    """"on-site service" (现场服务's display name) inside "on-site service pack" (现场服务包's alias)."""
    assert products(matcher, "Is the on-site service pack unlimited?") == ["现场服务包"]
    assert products(matcher, "On-site service pack vs on-site service?") == ["现场服务", "现场服务包"]
    # the shadowed product's bare words elsewhere are the pack's context
    assert products(matcher, "We need 40 person-days on site. Does the on-site service pack cover it?") == ["现场服务包"]


@pytest.mark.parametrize("text", ["信息服务怎么收费", "售后服务电话是多少", "今天天气怎么样", "", "   ", "数据处理报错", "运维支持"])
def test_unrelated_text_names_nothing(matcher, text):
    assert matcher.match(text) == []


def test_english_display_names_come_from_the_data_file(matcher):
    assert matcher.english_name("数据库转换服务") == "Database Conversion Service"


@settings(max_examples=150, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list("数据库转换服务性能优化信创现场包括驻场 PaaSlab-on-site升级\n")), max_size=40))
def test_any_text_yields_valid_non_overlapping_spans(matcher, text):
    found = matcher.match(text)
    spans = sorted((m.start, m.end) for m in found)
    assert all(0 <= start < end <= len(text) for start, end in spans)
    assert all(first[1] <= second[0] for first, second in zip(spans, spans[1:]))
    assert all(text[m.start:m.end] == m.text for m in found)
    assert len({m.entry.id for m in found}) == len(found)


@pytest.mark.parametrize(("text", "product"), [
    ("xinchuang服务 包括啥", "信创服务"),
    ("zhuchang服务是什么", "驻场服务"),
    ("shujuku转换 服务内容", "数据库转换服务"),
    ("现场服务bao 最多几个人天", "现场服务包"),
    ("性能优化fuwu都做什么", "性能优化服务"),
])
def test_names_typed_in_pinyin(matcher, text, product):
    assert products(matcher, text)[:1] == [product]


def test_pinyin_never_cuts_an_english_word(matcher):
    assert products(matcher, "please explain the peixunabc thing") == []


def test_a_homophone_typo_of_a_whole_name(matcher):
    assert products(matcher, "生级服务包含功能测试么")[:1] == ["升级服务"]


def test_a_homophone_of_a_bare_stem_is_no_name(matcher):
    assert "升级服务" not in products(matcher, "我们公司去年声级了一次")


def test_pinyin_without_the_phrase_dictionary_is_the_same_for_every_character():
    """kb.names imports pypinyin without its phrase dictionary (a cold-start cost); one character at a
    time must get the syllable the full dictionary gives."""
    import subprocess
    import sys

    script = ("import json, sys\n"
              "if sys.argv[1] == 'kbbot':\n"
              "    from kb.names import _syllable as syllable\n"
              "else:\n"
              "    from pypinyin import Style, lazy_pinyin\n"
              "    syllable = lambda char: lazy_pinyin(char, style=Style.NORMAL)[0]\n"
              "print(json.dumps([syllable(chr(c)) for c in range(0x4E00, 0xA000)]))\n")
    ours, full = (subprocess.run([sys.executable, "-c", script, which], capture_output=True, text=True, check=True).stdout
                  for which in ("kbbot", "full"))
    assert ours == full and len(ours) > 100_000
