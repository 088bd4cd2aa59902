from __future__ import annotations

import numpy as np
import pytest

from kb.chunks import make_chunks
from kb.lexical import QueryExpander, build_lexical, load_glossary, load_lexical, make_tokenizer, save_lexical


@pytest.fixture(scope="module")
def index(catalog):
    chunks = make_chunks(catalog)
    return chunks, build_lexical(catalog, chunks)


def best_product(index, query: str) -> str:
    chunks, lexical = index
    return chunks[int(np.argmax(lexical.scores(query)))].entry_id


def test_product_names_and_glossary_terms_stay_whole_tokens(catalog):
    tokens = make_tokenizer(catalog).tokens("我们想做信创，还有二开的东西")
    assert "信创" in tokens and "二开" in tokens and "的" not in tokens


@pytest.mark.parametrize("query", ["系统卡得要死", "performance is terrible"])
def test_symptoms_expand_to_the_catalog_words(query):
    assert "性能" in QueryExpander(load_glossary()).expansions(query)


def test_english_terms_match_whole_words_with_common_endings():
    expander = QueryExpander([["审计", "auditor"], ["备份", "back"]])
    assert expander.expansions("our auditors asked") == ["审计"]
    assert expander.expansions("feedback please") == []


@pytest.mark.parametrize(("query", "product"), [
    ("系统很卡", "性能优化服务"),
    ("我们要换成达梦数据库", "数据库转换服务"),
    ("年结以后历史数据太多", "数据结转服务"),
    ("审计要抽数", "云审计服务"),
    ("Our auditors want data extracted", "云审计服务"),
])
def test_bm25_with_expansion_finds_the_product_for_colloquial_questions(index, query, product):
    assert best_product(index, query) == product


def test_a_saved_index_loads_and_scores_the_same(index, catalog, tmp_path):
    chunks, lexical = index
    save_lexical(tmp_path / "bm25", catalog, chunks)
    loaded = load_lexical(tmp_path / "bm25", catalog, chunks)
    np.testing.assert_allclose(loaded.scores("系统很卡"), lexical.scores("系统很卡"), rtol=1e-5)


def test_a_stale_or_missing_saved_index_is_rebuilt(index, catalog, tmp_path):
    chunks, _ = index
    assert load_lexical(tmp_path / "nowhere", catalog, chunks).size == len(chunks)
    save_lexical(tmp_path / "bm25", catalog, chunks[:10])
    assert load_lexical(tmp_path / "bm25", catalog, chunks).size == len(chunks)


def test_a_query_with_no_known_words_scores_zero(index):
    assert not index[1].scores("zzzz qqqq").any()
