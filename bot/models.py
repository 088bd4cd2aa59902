"""What the bot answers: the fields of the public results format (../shared/eval-format.md)."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Verdict = Literal["included", "excluded", "not_listed"]


class Turn(BaseModel):
    role: Literal["user", "assistant"]
    content: str


class Citation(BaseModel):
    product: str
    category: str
    page: int
    quote: str = Field(description="verbatim catalog text")


class Answer(BaseModel):
    answer: str
    citations: list[Citation] = Field(default_factory=list)
    verdict: Verdict | None = None
    abstained: bool = False
    catalog_version: str


class StreamEvent(BaseModel):
    """One step of a streamed answer: text deltas, then the final validated Answer."""

    delta: str = ""
    final: Answer | None = None
