"""Fuse BM25, dense similarity and product-name matches into ranked entries with evidence clauses."""
from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np

from ingest.models import Catalog
from kb.lexical import LexicalIndex
from kb.models import Chunk, EntryHit, Evidence
from kb.names import ProductMatcher, compact

Fusion = Literal["score", "rrf", "lexical", "dense"]
FUSED: tuple[Fusion, ...] = ("score", "rrf")
DenseSearch = Callable[[str, int, str | None], list[tuple[str, float]]]

LEXICAL_WEIGHT = 0.5
RRF_K = 60
DENSE_CANDIDATES = 64
EVIDENCE_CLAUSES = 3


class Retriever:
    """One build's search state, kept in memory: chunks, BM25, the name matcher and the dense index."""

    def __init__(self, catalog: Catalog, chunks: list[Chunk], lexical: LexicalIndex, matcher: ProductMatcher,
                 dense: DenseSearch) -> None:
        self.catalog = catalog
        self.chunks = chunks
        self.lexical = lexical
        self.matcher = matcher
        self.dense = dense
        self._entries = {entry.id: entry for entry in catalog.entries}
        self._entry_ids = list(self._entries)
        self._entry_position = {entry_id: i for i, entry_id in enumerate(self._entry_ids)}
        self._chunk_entry = np.array([self._entry_position[chunk.entry_id] for chunk in chunks], dtype=np.int64)
        self._chunk_index = {chunk.id: i for i, chunk in enumerate(chunks)}
        self._is_name = np.array([chunk.kind == "name" for chunk in chunks])

    def search(self, query: str, k: int = 5, category: str | None = None, fusion: Fusion = "score",
               dense_query: str | None = None) -> list[EntryHit]:
        """`lexical` and `dense` rank by one signal alone (to measure them); the fusions add name matches.
        `dense_query`: the text whose vector dense search reads, when it is not `query` itself."""
        if not query.strip() or k <= 0:
            return []
        lexical = self.lexical.scores(query) if fusion != "dense" else np.zeros(len(self.chunks))
        dense = np.zeros(len(self.chunks), dtype=np.float64)
        if fusion != "lexical":
            candidates = min(DENSE_CANDIDATES, len(self.chunks))
            for chunk_id, similarity in self.dense(dense_query or query, candidates, category):
                if chunk_id in self._chunk_index:
                    dense[self._chunk_index[chunk_id]] = similarity
        entry_lexical = self._per_entry(lexical)
        entry_dense = self._per_entry(dense)
        scores = self._fuse(entry_lexical, entry_dense, fusion)
        named = {match.entry.id: match.score for match in self.matcher.match(query)} if fusion in FUSED else {}
        for entry_id, name_score in named.items():
            scores[self._entry_position[entry_id]] += name_score
        if category:
            wanted = compact(category)
            scores[[compact(self._entries[e].category) != wanted for e in self._entry_ids]] = -np.inf
        chunk_scores = LEXICAL_WEIGHT * _normalised(lexical) + (1 - LEXICAL_WEIGHT) * _min_max(dense)
        top = [int(i) for i in np.argsort(-scores, kind="stable")[:k] if np.isfinite(scores[i])]
        return [
            EntryHit(
                entry=self._entries[self._entry_ids[i]], score=float(scores[i]),
                name_match=self._entry_ids[i] in named, dense_score=float(entry_dense[i]),
                lexical_score=float(entry_lexical[i]), evidence=self._evidence(i, chunk_scores),
            )
            for i in top
        ]

    def _per_entry(self, chunk_scores: np.ndarray) -> np.ndarray:
        best = np.zeros(len(self._entry_ids), dtype=np.float64)
        np.maximum.at(best, self._chunk_entry, chunk_scores)
        return best

    @staticmethod
    def _fuse(lexical: np.ndarray, dense: np.ndarray, fusion: Fusion) -> np.ndarray:
        """Both fusions land in [0, 1], so a name match (score 0.8-1.0 added on top) means the same in each."""
        if fusion == "lexical":
            return lexical
        if fusion == "dense":
            return dense
        if fusion == "rrf":
            fused = sum(np.where(s > 0, 1.0 / (RRF_K + _ranks(s)), 0.0) for s in (lexical, dense))
            return fused / (2.0 / (RRF_K + 1))
        return LEXICAL_WEIGHT * _normalised(lexical) + (1 - LEXICAL_WEIGHT) * _min_max(dense)

    def _evidence(self, entry_position: int, chunk_scores: np.ndarray) -> list[Evidence]:
        """The entry's best-scoring clauses (its bare name is no evidence), in score order."""
        positions = np.flatnonzero((self._chunk_entry == entry_position) & ~self._is_name)
        ranked = sorted(positions, key=lambda p: (-chunk_scores[p], p))[:EVIDENCE_CLAUSES]
        return [Evidence(chunk_id=self.chunks[p].id, kind=self.chunks[p].kind, text=self.chunks[p].text,
                         score=float(chunk_scores[p])) for p in ranked]


def _ranks(scores: np.ndarray) -> np.ndarray:
    """1 for the best score, 2 for the next, ..."""
    order = np.argsort(-scores, kind="stable")
    ranks = np.empty(len(scores), dtype=np.float64)
    ranks[order] = np.arange(1, len(scores) + 1)
    return ranks


def _normalised(scores: np.ndarray) -> np.ndarray:
    """Scaled to [0, 1] by the best score; all-zero stays zero."""
    top = float(scores.max()) if len(scores) else 0.0
    return scores / top if top > 0 else np.zeros_like(scores, dtype=np.float64)


def _min_max(similarities: np.ndarray) -> np.ndarray:
    """Cosine similarities crowd near the top (e5: 0.75-0.9): spread the retrieved ones over [0, 1]."""
    retrieved = similarities[similarities > 0]
    if len(retrieved) == 0:
        return np.zeros_like(similarities, dtype=np.float64)
    low, high = float(retrieved.min()), float(retrieved.max())
    spread = np.clip((similarities - low) / (high - low), 0, 1) if high > low else (similarities > 0) * 1.0
    return np.where(similarities > 0, spread, 0.0)
