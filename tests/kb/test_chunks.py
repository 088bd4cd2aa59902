from __future__ import annotations

from kb.chunks import entry_clauses, make_chunks
from tests.kb.conftest import next_edition


def test_every_clause_of_an_entry_becomes_a_chunk_with_its_metadata(catalog):
    chunks = [c for c in make_chunks(catalog) if c.entry_id == "数据库转换服务"]
    kinds = [c.kind for c in chunks]
    assert kinds[0] == "name" and kinds.count("item") == 3
    item = next(c for c in chunks if c.kind == "item" and "许可授权" in c.text)
    assert (item.category, item.page, item.catalog_version) == ("系统运维服务", 2, "2025-07-01")
    assert item.text == "方案执行：提供工具下载及许可授权，执行转换方案；"


def test_exclusions_and_general_notes_have_their_own_kinds(catalog):
    by_entry = {}
    for chunk in make_chunks(catalog):
        by_entry.setdefault(chunk.entry_id, []).append(chunk)
    assert any(c.kind == "exclusion" and "二次开发" in c.text for c in by_entry["历史版本基础运维服务"])
    assert {c.kind for c in by_entry["说明"]} >= {"name", "note"}


def test_lead_ins_without_content_are_not_chunks(catalog):
    assert not [c for c in make_chunks(catalog) if c.text in ("服务内容包括：", "具体服务内容包括：")]


def test_ids_are_unique_and_stable_for_unchanged_clauses_across_editions(catalog):
    first = make_chunks(catalog)
    assert len({c.id for c in first}) == len(first)
    edited = next_edition(catalog, "2026-01-01", "新增说明")
    second = make_chunks(edited)
    unchanged_items = {c.id for c in first if c.kind == "item"}
    assert unchanged_items <= {c.id for c in second}
    changed = [c for c in second if "新增说明" in c.text]
    assert changed and {c.id for c in changed}.isdisjoint({c.id for c in first})


def test_clauses_follow_catalog_order(catalog):
    entry = catalog.entry("升级服务")
    texts = [text for _, text in entry_clauses(entry)]
    assert texts[0] == "升级服务"
    assert texts.index(entry.items[0]) < texts.index(entry.items[-1])
