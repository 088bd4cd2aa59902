"""Line classification from layout cues alone."""
from __future__ import annotations

from ingest.layout import display_width, is_label, read_layout


def _kinds(text: str) -> list[tuple[str, str, int]]:
    return [(line.kind, line.text, line.page) for line in read_layout(text).lines]


def test_labels_are_short_unpunctuated_cells() -> None:
    assert is_label("私有云部署与运维") and is_label("苍穹 PaaS 实验室") and is_label("务")
    assert not is_label("务。") and not is_label("1）方案制定") and not is_label("（2）诊断") and not is_label("12")
    assert not is_label("金" * 13)
    assert display_width("苍穹 PaaS") == 9


def test_header_is_read_and_dropped() -> None:
    layout = read_layout("发布日期 2025-7-1\n\n1 / 2\n专项服务产品清单\n类别 服务产品 服务说明\n升级服务\n内容。\n")
    assert layout.catalog_version == "2025-07-01"
    assert layout.declared_pages == 2
    assert layout.warnings == ["the page marker says 2 pages but 1 were found"]
    assert [(line.kind, line.text) for line in layout.lines] == [("label", "升级服务"), ("body", "内容。")]


def test_leading_space_starts_a_new_page_in_a_plain_text_dump() -> None:
    assert _kinds("甲服务\n内容甲，\n 续写。\n乙服务\n内容乙。") == [
        ("label", "甲服务", 1), ("body", "内容甲，", 1), ("body", "续写。", 2),
        ("label", "乙服务", 2), ("body", "内容乙。", 2)]


def test_a_block_of_indented_lines_is_indentation_not_pages() -> None:
    assert [page for _, _, page in _kinds("  甲服务\n  内容甲，\n  续写。\n乙服务\n 内容乙。")] == [1, 1, 1, 1, 2]


def test_form_feed_pages_ignore_leading_spaces() -> None:
    assert [page for _, _, page in _kinds("甲服务\n 内容甲。\f乙服务\n内容乙。")] == [1, 1, 2, 2]


def test_name_on_the_description_line_is_split_at_the_column_gap() -> None:
    assert _kinds("甲服务\n内容甲。\n苍穹 PaaS 实验室 金蝶提供苍穹 PaaS 实验室模式，联合开发。") == [
        ("label", "甲服务", 1), ("body", "内容甲。", 1),
        ("label", "苍穹 PaaS 实验室", 1), ("body", "金蝶提供苍穹 PaaS 实验室模式，联合开发。", 1)]


def test_no_column_gap_inside_a_running_sentence() -> None:
    kinds = _kinds("甲服务\n金蝶为客户提供服务，包括\n迁移 到新环境的支持。")
    assert kinds[-1] == ("body", "迁移 到新环境的支持。", 1)


def test_short_fragment_after_a_column_filled_line_is_body() -> None:
    filled = "金蝶为客户提供按企业业务需求对相关基础数据业务数据进行调整或清理"
    text = f"甲服务\n{filled}\n其他服务\n乙服务\n内容。"
    assert [kind for kind, _, _ in _kinds(text)] == ["label", "body", "body", "label", "body"]


def test_notes_heading() -> None:
    assert _kinds("甲服务\n内容。\n说明：\n（1）适用范围：以合同为准。")[2:] == [
        ("notes", "说明", 1), ("body", "（1）适用范围：以合同为准。", 1)]


def test_notes_heading_sharing_its_line_with_the_first_clause() -> None:
    assert _kinds("甲服务\n内容。\n说明：（1）适用范围：以合同为准。\n注：不含税。")[2:] == [
        ("notes", "说明", 1), ("body", "（1）适用范围：以合同为准。", 1), ("body", "注：不含税。", 1)]
    assert _kinds("甲服务\n说明：本服务按年计费。")[1:] == [("body", "说明：本服务按年计费。", 1)]
