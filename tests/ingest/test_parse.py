"""parse_text: the bundled catalog entry by entry, layout edge cases, and fuzzing."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest import IngestError, load_catalog, parse_text
from ingest.layout import LABEL_MAX_WIDTH
from ingest.models import Catalog
from tests.conftest import BUNDLED_CATALOG
from tests.ingest.documents import bundled_pages

# product, category, page, numbered items, exclusions
EXPECTED = [
    ("升级服务", "升级服务", 1, 4, []),
    ("数据迁移服务", "升级服务", 1, 3, []),
    ("定制开发维护服务", "定制开发维护", 1, 4, []),
    ("维护性开发服务", "定制开发维护", 1, 0, []),
    ("私有云部署与运维支持服务", "系统运维服务", 1, 3, []),
    ("环境部署服务", "系统运维服务", 1, 2, []),
    ("系统迁移服务", "系统运维服务", 1, 3, []),
    ("数据库转换服务", "系统运维服务", 2, 3, []),
    ("性能优化服务", "系统运维服务", 2, 3, []),
    ("信创服务", "系统运维服务", 2, 3, []),
    ("安全防护服务", "系统运维服务", 2, 0, [
        "具体服务内容以实际约定为准",
        "不含已退出产品生命周期的金蝶产品",
        "其它服务内容由金蝶认证的第三方安全服务商负责交付",
    ]),
    ("云审计服务", "应用提升服务", 2, 3, []),
    ("组织拆分服务", "应用提升服务", 2, 3, []),
    ("科目体系重构服务", "应用提升服务", 3, 3, []),
    ("数据结转服务", "应用提升服务", 3, 3, []),
    ("培训服务", "应用提升服务", 3, 0, []),
    ("业务应用诊断服务", "应用提升服务", 3, 3, []),
    ("数据调整与清理服务", "应用提升服务", 3, 3, []),
    ("应用提升服务", "应用提升服务", 3, 0, []),
    ("现场服务包", "现场服务", 3, 0, []),
    ("驻场服务", "现场服务", 3, 0, []),
    ("现场服务", "现场服务", 3, 0, []),
    ("苍穹 PaaS 实验室", "现场服务", 3, 0, []),
    ("历史版本基础运维服务", "现场服务", 4, 2, [
        "不包含二次开发及第三方产品导致的问题",
        "不包含针对软件缺陷、安全漏洞提供新的软件错误补丁、需求补丁、安全补丁等服务",
    ]),
    ("说明", "说明", 4, 1, ["客户（您）所购买或享受的服务权益应以双方签署的销售合同约定为准"]),
]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def test_bundled_catalog_header(catalog: Catalog) -> None:
    assert catalog.catalog_version == "2025-07-01"
    assert catalog.source == "kingdee-special-services-catalog-2025-07-01.txt"
    assert catalog.warnings == []


def test_bundled_catalog_has_exactly_the_expected_entries(catalog: Catalog) -> None:
    assert [e.product for e in catalog.entries] == [row[0] for row in EXPECTED]


@pytest.mark.parametrize(("product", "category", "page", "item_count", "exclusions"), EXPECTED,
                         ids=[row[0] for row in EXPECTED])
def test_bundled_entry(catalog: Catalog, product: str, category: str, page: int, item_count: int,
                       exclusions: list[str]) -> None:
    entry = catalog.entry(product)
    assert entry is not None
    assert entry.id == "".join(product.split())
    assert (entry.category, entry.page, len(entry.items), entry.exclusions) == (
        category, page, item_count, exclusions)
    for quoted in [entry.description, *entry.items, *entry.exclusions]:
        assert quoted in entry.text
    assert entry.text.strip() and "  " not in entry.text


def test_items_are_rejoined_without_numbering(catalog: Catalog) -> None:
    migration = catalog.entry("系统迁移服务")
    assert migration.description == (
        "根据客户（您）系统迁移需求，金蝶为客户（您）提供从 A 环境迁移到 B 环境的解决方案，具体服务内容包括：")
    assert migration.items[0] == "对客户（您）原有系统迁移进行全面的评估和统筹规划；"
    assert catalog.entry("组织拆分服务").items[0] == (
        "方案制定：根据客户（您）业务需求，确定组织拆分的范围和内容，制定组织拆分方案；")
    assert catalog.entry("业务应用诊断服务").items[1] == "诊断数据分析：对诊断采集的数据进行自动分析或专业深度分析；"
    assert catalog.entry("历史版本基础运维服务").items[0].startswith("为用户提供的自助互助式服务资源")


def test_name_on_the_description_line_and_across_a_page_break(catalog: Catalog) -> None:
    lab = catalog.entry("苍穹PaaS实验室")
    assert lab.description.startswith("金蝶提供苍穹 PaaS 实验室模式联合开发，通过技术赋能辅导与专业技术保障，")
    assert lab.description.endswith("为客户（您）的企业赋能。")


def test_entry_without_items_has_its_whole_text_as_description(catalog: Catalog) -> None:
    for entry in catalog.entries:
        if not entry.items:
            assert entry.description == entry.text
    assert catalog.entry("现场服务包").text == "针对客户（您）需要现场处理的问题，金蝶提供不超过 12 人天或 24 人天的现场支持。"


def test_form_feeds_are_page_breaks() -> None:
    text = "\f".join("\n".join(lines) for lines in bundled_pages())
    pages = {e.product: e.page for e in parse_text(text, source="x-2025-07-01.pdf").entries}
    assert pages == {row[0]: row[2] for row in EXPECTED}


def test_version_falls_back_to_a_date_in_the_file_name(bundled_text: str) -> None:
    text = bundled_text.replace("发布日期 2025-07-01", "")
    assert parse_text(text, source="catalog-2024-01-31.txt").catalog_version == "2024-01-31"
    with pytest.raises(IngestError, match="publish date"):
        parse_text(text, source="catalog.txt")


def test_product_without_description_is_reported_and_left_out() -> None:
    catalog = parse_text("发布日期 2025-07-01\n甲类\n甲服务\n内容。\n乙服务\n", source="t.txt")
    assert [e.product for e in catalog.entries] == ["甲服务"]
    assert catalog.warnings == ["product '乙服务' has no description; left out"]


def test_text_without_entries_is_rejected() -> None:
    with pytest.raises(IngestError, match="no catalog entry"):
        parse_text("发布日期 2025-07-01\n\n1 / 1\n\n专项服务产品清单\n", source="t.txt")
    with pytest.raises(IngestError, match="empty"):
        parse_text(" \n\n\t", source="t.txt")


# --- fuzzing ---------------------------------------------------------------------------------

@settings(max_examples=300, deadline=None)
@given(st.text())
def test_parse_text_never_crashes_on_arbitrary_text(text: str) -> None:
    try:
        catalog = parse_text(text, source="fuzz-2025-07-01.txt")
    except IngestError as error:
        assert "\n" not in str(error)
    else:
        assert catalog.entries


_CATALOG_LINES = st.sampled_from(
    BUNDLED_CATALOG.read_text(encoding="utf-8").split("\n") + ["\f", "说明：", "", " 续", "1 / 2"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(_CATALOG_LINES, st.text(max_size=20)), max_size=60))
def test_parse_text_never_crashes_on_shuffled_catalog_lines(lines: list[str]) -> None:
    try:
        catalog = parse_text("\n".join(lines), source="fuzz-2025-07-01.txt")
    except IngestError:
        return
    for entry in catalog.entries:
        for quoted in [entry.description, *entry.items, *entry.exclusions]:
            assert quoted in entry.text


# Generated catalogs: random names and contents laid out as the bundled catalog is.
COLUMN_CHARS = 8   # product column width, in CJK characters
BODY_CHARS = 30    # description column width
_HANZI = "金蝶服务数据系统方案客户产品管理支持应用部署优化运维开发培训现场平台财务审计组织结构迁移转换"
_words = st.text(alphabet=_HANZI, min_size=1, max_size=40)


def _wrap(text: str, width: int) -> list[str]:
    return [text[i:i + width] for i in range(0, len(text), width)]


@st.composite
def generated_catalogs(draw: st.DrawFn) -> tuple[str, list[dict]]:
    expected: list[dict] = []
    lines: list[str] = []
    page = 1
    categories = draw(st.lists(st.text(alphabet=_HANZI, min_size=2, max_size=COLUMN_CHARS - 2),
                               min_size=1, max_size=3, unique=True))
    first = True
    for category in categories:
        lines.append(category)
        for _ in range(draw(st.integers(1, 3))):
            if not first and draw(st.booleans()):
                lines.append("\f")
                page += 1
            # The parser learns the column width from one unambiguous break: the first product's.
            min_size = COLUMN_CHARS + 1 if first else 2
            product = draw(st.text(alphabet=_HANZI, min_size=min_size, max_size=2 * COLUMN_CHARS))
            first = False
            lines += _wrap(product, COLUMN_CHARS)
            items = [item + _item_end(draw, item) for item in draw(st.lists(_words, max_size=4))]
            description = draw(_words) + ("，服务内容包括：" if items else "。")
            lines += _wrap(description, BODY_CHARS)
            for number, item in enumerate(items, start=1):
                lines += _wrap(f"{number}）{item}", BODY_CHARS)
            expected.append({"product": product, "category": category, "page": page,
                             "description": description, "items": items})
    header = ["发布日期 2025-07-01", f"1 / {page}", "专项服务产品清单", "类别 服务产品 服务说明"]
    blank_lines = draw(st.booleans())
    return ("\n\n" if blank_lines else "\n").join(header + lines), expected


def _item_end(draw: st.DrawFn, item: str) -> str:
    """；, 。 or nothing. Nothing only where a reader of the flat text can tell: an unpunctuated last
    line about as wide as the column is indistinguishable from a broken one, so it stays narrow."""
    end = draw(st.sampled_from(["；", "。", ""]))
    last_line = _wrap(f"1）{item}", BODY_CHARS)[-1]
    return "；" if end == "" and 2 * len(last_line) > LABEL_MAX_WIDTH else end


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(generated_catalogs())
def test_generated_catalogs_are_recovered(generated: tuple[str, list[dict]]) -> None:
    text, expected = generated
    catalog = parse_text(text, source="generated.txt")
    got = [{"product": e.product, "category": e.category, "page": e.page, "description": e.description,
            "items": e.items} for e in catalog.entries]
    assert got == expected
