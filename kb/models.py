"""Records the knowledge base stores and returns."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from ingest.models import Entry

ClauseKind = Literal["name", "description", "item", "exclusion", "note"]


class Chunk(BaseModel):
    """One clause of one entry, the unit that is embedded and indexed."""

    id: str
    entry_id: str
    product: str
    category: str
    page: int
    kind: ClauseKind
    text: str
    catalog_version: str


class Evidence(BaseModel):
    """A clause that matched the query, with its fused score."""

    chunk_id: str
    kind: ClauseKind
    text: str
    score: float


class EntryHit(BaseModel):
    """A ranked entry with the clauses that made it match."""

    entry: Entry
    score: float
    name_match: bool = False
    dense_score: float = 0.0
    lexical_score: float = 0.0
    evidence: list[Evidence]


class ProductMatch(BaseModel):
    """A product name found in a user's text, exactly, as a near miss, or in English."""

    entry: Entry
    start: int
    end: int
    text: str
    score: float
    kind: Literal["exact", "alias", "fuzzy", "english"]


class VersionInfo(BaseModel):
    """One built catalog version: what `kbbot versions` lists and `kbbot ingest` reports."""

    version: str
    collection: str
    embeddings: str
    source: str
    entries: int
    chunks: int
    reembedded: int = 0
    reused: int = 0
    seconds: float = 0.0
    built_at: str
    active: bool = False
    examples: int = 0
    examples_seeded: bool = False
    stale_examples: list[str] = []
