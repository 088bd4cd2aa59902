"""Dense retrieval from a Chroma collection through LangChain, with cosine similarities as scores."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from langchain_core.embeddings import Embeddings

# Embedding cost grows with the square of the length (a pasted 2,000-character message took seconds);
# the question is usually at the end of a long message, and BM25 still reads all of it.
MAX_QUERY_CHARS = 256


class DenseIndex:
    def __init__(self, client: Any, collection: str, embeddings: Embeddings) -> None:
        from langchain_chroma import Chroma

        self._store = Chroma(client=client, collection_name=collection, embedding_function=embeddings)
        # the bot and the web app often search the same text twice (retrieve, then re-rank or cite)
        self._embed_query = lru_cache(maxsize=1024)(embeddings.embed_query)

    def search(self, query: str, n: int, category: str | None = None) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) of the `n` nearest chunks; the collection uses cosine distance."""
        results = self._store.similarity_search_by_vector_with_relevance_scores(
            self._embed_query(query[-MAX_QUERY_CHARS:]), k=n, filter={"category": category} if category else None
        )
        return [(document.id, 1.0 - distance) for document, distance in results]
