"""Retrieval-only scores (hit@k, MRR, nDCG@k) from TREC-style qrels and runs, computed by ranx.

Documents are entries, named by product without whitespace. Two kinds of run: the order of the
bot's citations (from results.jsonl), and `kb.KnowledgeBase.search` asked directly, which tells a
retrieval miss apart from an answer-composition miss. Plain TREC files are written beside the report
so the numbers can be checked with any other tool (trec_eval, pytrec_eval).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Protocol

from eval.questions import Question
from ingest.models import entry_id
from eval.results import ResultLine
from kb.models import EntryHit

Ranking = dict[str, dict[str, float]]
RETRIEVAL_METRICS = ("hit_rate@1", "hit_rate@3", "mrr", "ndcg@3", "ndcg@5")


def qrels_from_questions(questions: Iterable[Question]) -> dict[str, dict[str, int]]:
    """Every gold product is relevant (grade 1); questions that must be abstained have no qrels."""
    return {q.id: {key: 1 for key in q.gold_keys} for q in questions if not q.abstain and q.gold}


def _ranked(products: Iterable[str]) -> dict[str, float]:
    """Rank -> strictly decreasing score, first occurrence of a product wins (no ties for ranx to break)."""
    scores: dict[str, float] = {}
    for product in products:
        key = entry_id(product)
        if key not in scores:
            scores[key] = 1.0 / (len(scores) + 1)
    return scores


def run_from_results(results: Iterable[ResultLine]) -> Ranking:
    return {r.id: _ranked(c.product for c in r.citations) for r in results}


def run_from_search(questions: Iterable[Question], search: Callable[[str], list[str]]) -> Ranking:
    """`search(text) -> ranked product names`; sees only the last question, as a retriever would."""
    return {q.id: _ranked(search(q.question)) for q in questions if not q.abstain and q.gold}


class EntrySearch(Protocol):
    """What `kb.KnowledgeBase` offers: `search(query, k) -> [EntryHit]`."""

    def search(self, query: str, k: int = ...) -> list[EntryHit]: ...


def kb_searcher(knowledge_base: EntrySearch, k: int = 10) -> Callable[[str], list[str]]:
    """Adapt the KB's ranked entries to ranked product names."""
    def search(text: str) -> list[str]:
        return [hit.entry.product for hit in knowledge_base.search(text, k=k)]
    return search


def retrieval_scores(qrels: dict[str, dict[str, int]], run: Ranking,
                     metrics: Iterable[str] = RETRIEVAL_METRICS) -> dict[str, float]:
    """ranx over the questions that have qrels; a question missing from the run scores 0."""
    if not qrels:
        return {}
    import warnings

    from ranx import Qrels, Run, evaluate  # ranx pulls numba: only on this path

    complete = {qid: run.get(qid, {}) for qid in qrels}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numba's uint64 cast notice, harmless here
        scores = evaluate(Qrels(qrels), Run(complete), list(metrics), make_comparable=True)
    return {name: float(value) for name, value in scores.items()}


def write_trec_qrels(path: Path, qrels: dict[str, dict[str, int]]) -> None:
    lines = [f"{qid} 0 {doc} {grade}" for qid, docs in qrels.items() for doc, grade in docs.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_trec_run(path: Path, run: Ranking, tag: str) -> None:
    lines = [f"{qid} Q0 {doc} {rank} {score:.6f} {tag}"
             for qid, docs in run.items()
             for rank, (doc, score) in enumerate(sorted(docs.items(), key=lambda kv: -kv[1]), start=1)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
