"""The parsed catalog: what every later stage (kb, bot, eval) reads."""
from __future__ import annotations

from pydantic import BaseModel, Field


def entry_id(product: str) -> str:
    """A product's id: its name with all whitespace removed, so `苍穹 PaaS 实验室` and `苍穹PaaS实验室` are
    one product (the public question-set format compares names the same way)."""
    return "".join(product.split())


class Entry(BaseModel):
    """One product of the catalog (or the general notes, product ``说明``)."""

    id: str = Field(description="stable across editions: the product name without whitespace")
    product: str
    category: str
    page: int
    description: str
    items: list[str] = Field(default_factory=list, description="numbered service contents, numbering removed")
    exclusions: list[str] = Field(default_factory=list, description="clauses that limit scope")
    text: str = Field(description="the entry's own catalog text, whitespace-normalised; quotes are checked against it")


class Catalog(BaseModel):
    """A whole catalog edition."""

    catalog_version: str = Field(description="publish date, e.g. 2025-07-01")
    source: str
    entries: list[Entry]
    warnings: list[str] = Field(default_factory=list, description="suspicious or unparsed content, for a human to review")

    def entry(self, product: str) -> Entry | None:
        key = entry_id(product)
        return next((e for e in self.entries if e.id == key), None)
