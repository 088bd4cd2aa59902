"""Scores exactly as eval-format.md defines them, from the set and results.jsonl alone.

Everything here is a pure function of (questions, results), so anyone can recompute the report.
Choices the format leaves open, stated once:
- hit@1 / hit@3 count questions with `abstain: false` and a non-empty `gold`;
- fact coverage is facts met / facts asked, pooled over every question that has facts;
- a fact is met when the answer text contains one of its strings, case-insensitively;
- latency percentiles are numpy's default (linear interpolation).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
from pydantic import BaseModel, Field, computed_field

from eval.questions import QUESTION_TYPES, Question, QuestionType
from ingest.models import entry_id
from eval.results import ResultLine, align

UNKNOWN_CATEGORY = "(unknown)"
ABSTAIN_CATEGORY = "(abstain)"


class Rate(BaseModel):
    """A share with its counts, so a 1.0 over 2 questions is not mistaken for a 1.0 over 200."""

    passed: int = 0
    total: int = 0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def value(self) -> float | None:
        return self.passed / self.total if self.total else None

    def add(self, passed: bool | None) -> None:
        if passed is not None:
            self.total += 1
            self.passed += int(passed)


class Outcome(BaseModel):
    """How one answer did against one question; None = the criterion does not apply."""

    id: str
    question: str
    type: QuestionType
    category: str
    hit_at_1: bool | None = None
    hit_at_3: bool | None = None
    gold_all: bool | None = None
    facts_met: int = 0
    facts_total: int = 0
    verdict_ok: bool | None = None
    expected_verdict: str | None = None
    answered_verdict: str | None = None
    abstention_ok: bool
    latency_ms: float
    expected: str
    got: str
    problems: list[str] = Field(default_factory=list)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def passed(self) -> bool:
        return not self.problems


class Scores(BaseModel):
    questions: int
    hit_at_1: Rate
    hit_at_3: Rate
    gold_all_recall: Rate
    fact_coverage: Rate
    verdict_accuracy: Rate
    abstention_accuracy: Rate
    declined_when_needed: Rate = Field(default_factory=Rate, description="abstention over `abstain: true`")
    answered_when_possible: Rate = Field(default_factory=Rate, description="abstention over `abstain: false`")
    included_precision: Rate = Field(default_factory=Rate,
                                     description="of the verdict questions answered `included`, the share expected so: "
                                                 "a wrong yes is a contractual promise, so it is scored apart")
    latency_p50_ms: float | None
    latency_p95_ms: float | None

    def metrics(self) -> dict[str, float | None]:
        """Flat name -> value, the names thresholds.toml and `eval compare` use."""
        return {
            "hit@1": self.hit_at_1.value, "hit@3": self.hit_at_3.value,
            "gold_all": self.gold_all_recall.value, "facts": self.fact_coverage.value,
            "verdict": self.verdict_accuracy.value, "abstention": self.abstention_accuracy.value,
            "declined_when_needed": self.declined_when_needed.value,
            "answered_when_possible": self.answered_when_possible.value,
            "included_precision": self.included_precision.value,
            "latency_p50_ms": self.latency_p50_ms, "latency_p95_ms": self.latency_p95_ms,
        }


class Evaluation(BaseModel):
    scores: Scores
    by_type: dict[str, Scores]
    by_category: dict[str, Scores]
    outcomes: list[Outcome]

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.passed]

    def verdict_counts(self) -> dict[str, dict[str, int]]:
        """Expected verdict -> answered verdict ("none" when the bot gave none) -> questions."""
        counts: dict[str, dict[str, int]] = {}
        for o in self.outcomes:
            if o.expected_verdict is not None:
                row = counts.setdefault(o.expected_verdict, {})
                row[o.answered_verdict or "none"] = row.get(o.answered_verdict or "none", 0) + 1
        return counts


def verdict_matches(expected: str, got: str | None) -> bool:
    """`not_included` is met by `excluded` (the catalog says no) or `not_listed` (it says nothing)."""
    if expected == "not_included":
        return got in ("excluded", "not_listed")
    return got == expected


def fact_met(alternatives: list[str], answer: str) -> bool:
    text = answer.casefold()
    return any(alternative.casefold() in text for alternative in alternatives)


def _expected(question: Question) -> str:
    if question.abstain:
        return "abstain"
    parts = [" | ".join(question.gold)]
    if question.gold_all:
        parts.append("all of " + " + ".join(question.gold_all))
    if question.verdict:
        parts.append(question.verdict)
    return "; ".join(parts)


def _got(result: ResultLine) -> str:
    if result.error:
        return f"error: {result.error}"
    cited = ", ".join(c.product for c in result.citations[:3]) or "no citation"
    parts = ["abstained" if result.abstained else "answered", cited]
    if result.verdict:
        parts.append(result.verdict)
    return "; ".join(parts)


def score_question(question: Question, result: ResultLine, category: str) -> Outcome:
    cited = result.cited_keys
    problems: list[str] = []
    outcome = Outcome(id=question.id, question=question.question, type=question.type, category=category,
                      abstention_ok=False, latency_ms=result.latency_ms,
                      expected=_expected(question), got=_got(result))
    if not question.abstain and question.gold:
        gold = question.gold_keys
        outcome.hit_at_1 = bool(cited) and cited[0] in gold
        outcome.hit_at_3 = any(key in gold for key in cited[:3])
        if not outcome.hit_at_1:
            problems.append("first citation not in gold" + ("" if outcome.hit_at_3 else " (nor in top 3)"))
    if question.gold_all:
        missing = [name for name in question.gold_all if entry_id(name) not in cited]
        outcome.gold_all = not missing
        if missing:
            problems.append("comparison misses " + ", ".join(missing))
    outcome.facts_total = len(question.facts)
    unmet = [alternatives for alternatives in question.facts if not fact_met(alternatives, result.answer)]
    outcome.facts_met = outcome.facts_total - len(unmet)
    if unmet:
        problems.append("facts missing: " + "; ".join(" / ".join(alternatives) for alternatives in unmet))
    if question.verdict is not None:
        outcome.expected_verdict, outcome.answered_verdict = question.verdict, result.verdict
        outcome.verdict_ok = verdict_matches(question.verdict, result.verdict)
        if not outcome.verdict_ok:
            problems.append(f"verdict {result.verdict} instead of {question.verdict}")
    abstained_cleanly = result.abstained and not result.citations
    outcome.abstention_ok = abstained_cleanly if question.abstain else not result.abstained
    if not outcome.abstention_ok:
        if question.abstain and result.abstained:
            problems.append("abstained but cited " + ", ".join(c.product for c in result.citations))
        elif question.abstain:
            problems.append("answered a question it should decline")
        else:
            problems.append("declined an answerable question")
    if result.error:
        problems.append("bot raised " + result.error)
    outcome.problems = problems
    return outcome


def summarize(outcomes: Iterable[Outcome]) -> Scores:
    outcomes = list(outcomes)
    rates = {name: Rate() for name in ("hit_at_1", "hit_at_3", "gold_all_recall", "verdict_accuracy",
                                       "abstention_accuracy", "declined_when_needed", "answered_when_possible",
                                       "included_precision")}
    facts = Rate()
    for o in outcomes:
        rates["hit_at_1"].add(o.hit_at_1)
        rates["hit_at_3"].add(o.hit_at_3)
        rates["gold_all_recall"].add(o.gold_all)
        rates["verdict_accuracy"].add(o.verdict_ok)
        if o.expected_verdict is not None and o.answered_verdict == "included":
            rates["included_precision"].add(o.expected_verdict == "included")
        rates["abstention_accuracy"].add(o.abstention_ok)
        rates["declined_when_needed" if o.type == "abstain" else "answered_when_possible"].add(o.abstention_ok)
        facts.passed += o.facts_met
        facts.total += o.facts_total
    latencies = [o.latency_ms for o in outcomes]
    p50, p95 = (np.percentile(latencies, [50, 95]).tolist() if latencies else (None, None))
    return Scores(questions=len(outcomes), fact_coverage=facts, latency_p50_ms=p50, latency_p95_ms=p95, **rates)


def _group(outcomes: list[Outcome], key: Callable[[Outcome], str], order: Iterable[str] = ()) -> dict[str, Scores]:
    groups: dict[str, list[Outcome]] = {name: [] for name in order}
    for o in outcomes:
        groups.setdefault(key(o), []).append(o)
    return {name: summarize(members) for name, members in groups.items() if members}


def product_categories(results: Iterable[ResultLine]) -> dict[str, str]:
    """Product -> category as the answers' own citations report it (the format carries both)."""
    return {entry_id(c.product): c.category for r in results for c in r.citations}


def question_category(question: Question, categories: dict[str, str]) -> str:
    if question.abstain or not question.gold:
        return ABSTAIN_CATEGORY if question.abstain else UNKNOWN_CATEGORY
    return categories.get(entry_id(question.gold[0]), UNKNOWN_CATEGORY)


def evaluate(questions: list[Question], results: list[ResultLine],
             categories: dict[str, str] | None = None) -> Evaluation:
    """Score a run. `categories` (product -> category, e.g. from the catalog) fills in products no answer cited."""
    known = product_categories(results) | {entry_id(k): v for k, v in (categories or {}).items()}
    outcomes = [score_question(q, r, question_category(q, known)) for q, r in align(questions, results)]
    return Evaluation(scores=summarize(outcomes), outcomes=outcomes,
                      by_type=_group(outcomes, lambda o: o.type, QUESTION_TYPES),
                      by_category=_group(outcomes, lambda o: o.category))
