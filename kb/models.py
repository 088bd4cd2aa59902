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
