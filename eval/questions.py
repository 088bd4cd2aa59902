"""Question sets in the public format (../shared/eval-format.md): one pydantic model, one strict loader.

Sets come from anyone, so unknown fields are ignored, and a malformed line stops the run before a
single question is asked: a half-run set would produce scores that look real and are not.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.models import Turn
from ingest.models import entry_id

QuestionType = Literal["abstain", "comparison", "scope", "follow-up", "english", "other"]
QUESTION_TYPES: tuple[QuestionType, ...] = ("abstain", "comparison", "scope", "follow-up", "english", "other")


class QuestionSetError(ValueError):
    """A set that cannot be run; the message is one line, `SET:LINE: reason`."""


class Question(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1)
    question: str = Field(min_length=1)
    history: list[Turn] = Field(default_factory=list)
    lang: Literal["zh", "en"]
    gold: list[str] = Field(default_factory=list)
    gold_all: list[str] = Field(default_factory=list)
    facts: list[list[str]] = Field(default_factory=list)
    verdict: Literal["included", "not_included"] | None = None
    abstain: bool = False

    @field_validator("facts")
    @classmethod
    def _facts_have_alternatives(cls, facts: list[list[str]]) -> list[list[str]]:
        if any(not alternatives or not all(a.strip() for a in alternatives) for alternatives in facts):
            raise ValueError("every fact needs at least one non-empty string")
        return facts

    @model_validator(mode="after")
    def _abstain_has_no_gold(self) -> Question:
        if self.abstain and (self.gold or self.gold_all):
            raise ValueError("a question with abstain: true cannot have gold products")
        return self

    @property
    def type(self) -> QuestionType:
        """Derived from the fields, first match wins, so every set gets the same breakdown."""
        if self.abstain:
            return "abstain"
        if self.gold_all:
            return "comparison"
        if self.verdict is not None:
            return "scope"
        if self.history:
            return "follow-up"
        if self.lang == "en":
            return "english"
        return "other"

    @property
    def gold_keys(self) -> set[str]:
        return {entry_id(name) for name in self.gold}


def _reason(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    extra = f" (and {error.error_count() - 1} more)" if error.error_count() > 1 else ""
    return f"{where + ': ' if where else ''}{first['msg']}{extra}"


def parse_question_line(line: str) -> Question:
    """One JSON line -> Question; ValueError with a short reason otherwise."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as error:
        raise ValueError(f"not valid JSON ({error.msg}, column {error.colno})") from None
    if not isinstance(data, dict):
        raise ValueError("a line must be a JSON object")
    try:
        return Question.model_validate(data)
    except ValidationError as error:
        raise ValueError(_reason(error)) from None


def load_question_set(path: str | Path) -> list[Question]:
    """Every question of the set, or QuestionSetError naming the first bad line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise QuestionSetError(f"{path}: cannot read the set ({error.__class__.__name__}: {error})") from None
    questions: list[Question] = []
    seen: dict[str, int] = {}
    # JSON Lines ends lines at "\n" only: str.splitlines() would also split at U+0085, U+2028 ... that
    # may sit inside a question, and then every later line number would be wrong.
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.removesuffix("\r")
        if not line.strip():
            continue
        try:
            question = parse_question_line(line)
        except ValueError as error:
            raise QuestionSetError(f"{path}:{number}: {error}") from None
        if question.id in seen:
            raise QuestionSetError(f"{path}:{number}: duplicate id {question.id!r} (first on line {seen[question.id]})")
        seen[question.id] = number
        questions.append(question)
    if not questions:
        raise QuestionSetError(f"{path}: the set has no questions")
    return questions
