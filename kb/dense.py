"""Dense retrieval: the nearest chunks of a Chroma collection, with cosine similarities as scores."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

# Embedding cost grows with the square of the length (a pasted 2,000-character message took seconds);
# the question is usually at the end of a long message, and BM25 still reads all of it.
MAX_QUERY_CHARS = 256


class DenseIndex:
    """Asks the chromadb collection for ids and distances only: the retriever already holds every chunk's
    text and metadata, and fetching them again made a query 3.4 ms instead of 1.1 ms (LangChain's Chroma
    wrapper always fetches them)."""

    def __init__(self, collection: Any, embed_query: Callable[[str], list[float]]) -> None:
        self._collection = collection
        # cached and shared with the example memory (KnowledgeBase.embed_query): one vector per question
        self._embed_query = embed_query

    def search(self, query: str, n: int, category: str | None = None) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) of the `n` nearest chunks; the collection uses cosine distance."""
        result = self._collection.query(
            query_embeddings=[self._embed_query(query[-MAX_QUERY_CHARS:])], n_results=n,
            where={"category": category} if category else None, include=["distances"],
        )
        return [(chunk_id, 1.0 - distance) for chunk_id, distance in zip(result["ids"][0], result["distances"][0],
                                                                          strict=True)]
