"""`results.jsonl`: one line per question, in the set's order, fields exactly as eval-format.md says."""
from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.models import Answer, Citation, Verdict
from eval.questions import Question
from ingest.models import entry_id

RESULTS_FILE = "results.jsonl"


class ResultsError(ValueError):
    """Results that cannot be scored against their set; one-line message."""


class ResultLine(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    question: str
    answer: str
    citations: list[Citation] = Field(default_factory=list)
    verdict: Verdict | None = None
    abstained: bool = False
    latency_ms: float
    catalog_version: str = ""
    error: str | None = Field(default=None, description="set only when the bot raised instead of answering")

    @classmethod
    def from_answer(cls, question: Question, answer: Answer, latency_ms: float) -> ResultLine:
        return cls(id=question.id, question=question.question, answer=answer.answer,
                   citations=answer.citations, verdict=answer.verdict, abstained=answer.abstained,
                   latency_ms=round(latency_ms, 3), catalog_version=answer.catalog_version)

    @classmethod
    def from_error(cls, question: Question, error: Exception, latency_ms: float) -> ResultLine:
        """A crash on one question is scored as a wrong answer, not allowed to sink the whole run."""
        return cls(id=question.id, question=question.question, answer="", latency_ms=round(latency_ms, 3),
                   error=f"{error.__class__.__name__}: {error}")

    @property
    def cited_keys(self) -> list[str]:
        return [entry_id(citation.product) for citation in self.citations]


# Characters that Python's str.splitlines() (and some editors) treat as line ends: escaped, so every
# reader splits results.jsonl into the same lines.
_LINE_BREAKERS = {ord(c): f"\\u{ord(c):04x}" for c in "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"}


def write_results(path: Path, results: list[ResultLine]) -> None:
    lines = [json.dumps(r.model_dump(exclude={"error"} if r.error is None else set()), ensure_ascii=False)
             .translate(_LINE_BREAKERS) for r in results]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def read_results(path: Path) -> list[ResultLine]:
    results = []
    for number, line in enumerate(path.read_text(encoding="utf-8").split("\n"), start=1):
        if not line.strip():
            continue
        try:
            results.append(ResultLine.model_validate_json(line))
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise ResultsError(f"{path}:{number}: {where + ': ' if where else ''}{first['msg']}") from None
    return results


def align(questions: list[Question], results: list[ResultLine]) -> list[tuple[Question, ResultLine]]:
    """Pair each question with its result by id; every question must have exactly one."""
    by_id = {r.id: r for r in results}
    missing = [q.id for q in questions if q.id not in by_id]
    if missing:
        raise ResultsError(f"results have no line for {len(missing)} question(s), first {missing[0]!r}")
    return [(q, by_id[q.id]) for q in questions]
