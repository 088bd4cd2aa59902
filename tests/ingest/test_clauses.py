"""Re-joining broken lines, numbered items, descriptions and scope-limiting clauses."""
from __future__ import annotations

import pytest

from ingest.clauses import description, exclusions, items, join_fragments, paragraphs


@pytest.mark.parametrize(("left", "right", "joined"), [
    ("从 A 环境迁", "移到 B 环境", "从 A 环境迁移到 B 环境"),
    ("不超过 12 人天或 24", "人天的现场支持。", "不超过 12 人天或 24 人天的现场支持。"),
    ("supports the", "migration", "supports the migration"),
    ("数据调整与清理服", "务", "数据调整与清理服务"),
    ("（不包", "含二次开发）", "（不包含二次开发）"),
    ("", "务", "务"),
])
def test_join_fragments(left: str, right: str, joined: str) -> None:
    assert join_fragments(left, right) == joined


def test_paragraphs_items_and_description() -> None:
    lines = ["金蝶提供服务，", "服务内容如下：", "1）方案制定：确定", "执行计划；", "(2) 执行。", "3、保障。",
             "其中第三方负责部分。"]
    paragraph_list = paragraphs(lines)
    assert paragraph_list == ["金蝶提供服务，服务内容如下：", "1）方案制定：确定执行计划；", "(2) 执行。",
                              "3、保障。其中第三方负责部分。"]
    assert items(paragraph_list) == ["方案制定：确定执行计划；", "执行。", "保障。其中第三方负责部分。"]
    assert description(paragraph_list) == "金蝶提供服务，服务内容如下："


def test_spaces_between_chinese_characters_are_extraction_artifacts() -> None:
    assert paragraphs(["构建全新 功能模块的开发服务 。"]) == ["构建全新功能模块的开发服务。"]
    assert paragraphs(["从 A 环境迁移到 B 环境，不超过 12 人天。"]) == ["从 A 环境迁移到 B 环境，不超过 12 人天。"]


def test_description_is_everything_when_nothing_is_numbered() -> None:
    assert description(["第一段。", "第二段。"]) == "第一段。\n第二段。"


def test_exclusion_clauses_are_verbatim_and_keep_short_asides() -> None:
    text = ("具体服务内容以实际约定为准。由金蝶提供交付（注：不含已退出产品生命周期的金蝶产品），"
            "其它服务内容由金蝶认证的第三方安全服务商负责交付。由金蝶联合第三方安全服务商为客户（您）提供方案。"
            "针对应用问题（不包含二次开发导致的问题）提供服务，不包括现场服务；客户（您）的权益以合同约定为准。")
    found = exclusions(text)
    assert found == [
        "具体服务内容以实际约定为准",
        "不含已退出产品生命周期的金蝶产品",
        "其它服务内容由金蝶认证的第三方安全服务商负责交付",
        "不包含二次开发导致的问题",
        "不包括现场服务",
        "客户（您）的权益以合同约定为准",
    ]
    assert all(clause in text for clause in found)
