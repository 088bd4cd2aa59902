"""`kbbot eval`: run, score, compare and generate question sets; gate a run against thresholds."""
from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import click
from pydantic import ValidationError

from eval.compare import compare, render_comparison
from eval.gate import GateConfigError, load_thresholds, violations
from eval.questions import Question, QuestionSetError, load_question_set
from ingest.models import entry_id
from eval.report import REPORT_JSON, Report, category_table, load_report, write_report
from eval.results import RESULTS_FILE, ResultsError, align, read_results
from eval.retrieval import kb_searcher, qrels_from_questions, retrieval_scores, run_from_results, run_from_search
from eval.runner import Asker, make_report, run_set

RETRIEVAL_K = 10


def fail(message: str) -> NoReturn:
    """Bad input: one line on stderr, exit 2, never a traceback."""
    click.echo(f"kbbot eval: {message}", err=True)
    sys.exit(2)


def _load_set(path: str) -> list[Question]:
    try:
        return load_question_set(path)
    except QuestionSetError as error:
        fail(str(error))


def open_bot(with_search: bool) -> tuple[Asker, dict[str, str], Callable[[str], list[str]] | None]:
    """The real bot on the real KB (empty KB -> the bundled catalog), its product categories, and a
    direct KB search for retrieval-only scores. Tests replace this function with a fake."""
    from bot import CatalogBot  # the bot and the KB (chromadb, embedder) only when asked
    from kb import KnowledgeBase

    knowledge_base = KnowledgeBase.open()
    knowledge_base.ensure_ready()
    categories = {entry.product: entry.category for entry in knowledge_base.catalog.entries}
    search = kb_searcher(knowledge_base, k=RETRIEVAL_K) if with_search else None
    return CatalogBot(kb=knowledge_base), categories, search


def _warn_unknown_products(questions: list[Question], categories: dict[str, str]) -> None:
    """A gold name the catalog does not have can never be hit: say so, once, but still run the set."""
    known = {entry_id(product) for product in categories}
    unknown = sorted({name for q in questions for name in q.gold + q.gold_all if entry_id(name) not in known})
    if known and unknown:
        click.echo(f"kbbot eval: warning: gold products not in the catalog: {', '.join(unknown)}", err=True)


def _print_scores(report: Report) -> None:
    scores = report.evaluation.scores
    for name, value in scores.metrics().items():
        shown = "–" if value is None else (f"{value:.1f} ms" if name.startswith("latency") else f"{value:.3f}")
        click.echo(f"{name:<24} {shown}")
    for run_name, values in report.retrieval.items():
        click.echo(f"{run_name + ' (ranx)':<24} " + "  ".join(f"{m} {v:.3f}" for m, v in values.items()))
    click.echo(f"{'failures':<24} {len(report.evaluation.failures)} of {scores.questions}")
    click.echo("")
    click.echo("\n".join(category_table(report.evaluation)))
    click.echo("")


def catalog_categories(versions: set[str]) -> dict[str, str]:
    """Product -> category of the catalog editions a run answered from, as `eval run` took them: the KB's
    stored edition, else the bundled catalog when it is that edition. Reads files only: no bot, no store."""
    from ingest import BUNDLED_CATALOG, load_catalog
    from kb import KnowledgeBase
    from kb.errors import KBError

    knowledge_base = KnowledgeBase.open()
    categories: dict[str, str] = {}
    for version in sorted(versions):
        try:
            catalog = knowledge_base.version_catalog(version)
        except KBError:
            catalog = load_catalog(BUNDLED_CATALOG)
            if catalog.catalog_version != version:
                click.echo(f"kbbot eval: warning: catalog {version} is neither ingested nor bundled; categories "
                           "of products no answer cited are unknown", err=True)
                continue
        categories.update({entry.product: entry.category for entry in catalog.entries})
    return categories


def _thresholds(gate: str | None) -> dict[str, float] | None:
    """Read before anything is asked, so a typo in --gate costs nothing."""
    if gate is None:
        return None
    try:
        return load_thresholds(gate)
    except GateConfigError as error:
        fail(str(error))


def _gate(report: Report, gate: str | None, thresholds: dict[str, float] | None) -> None:
    if gate is None or thresholds is None:
        return
    try:
        problems = violations(report.evaluation.scores, thresholds)
    except GateConfigError as error:
        fail(str(error))
    if problems:
        click.echo(f"gate {gate}: FAILED: " + "; ".join(problems), err=True)
        sys.exit(1)
    click.echo(f"gate {gate}: passed")


@click.group(name="eval")
def eval_group() -> None:
    """Run question sets (public format: docs/eval-format.md), score, compare, generate."""


@eval_group.command("run")
@click.argument("question_set", metavar="SET.jsonl", type=click.Path(dir_okay=False))
@click.option("--out", "out", required=True, type=click.Path(file_okay=False), help="Run directory to write.")
@click.option("--retrieval/--no-retrieval", default=True, show_default=True,
              help="Add ranx retrieval scores (citation order and direct KB search).")
@click.option("--gate", default=None, metavar="NAME", help="Exit 1 when below the thresholds.toml section NAME.")
@click.option("--chart/--no-chart", default=True, show_default=True, help="Draw report.png.")
@click.option("--force", is_flag=True, help="Overwrite a directory that already holds a run.")
def run_command(question_set: str, out: str, retrieval: bool, gate: str | None, chart: bool, force: bool) -> None:
    """Ask every question through the bot and write results.jsonl, report.json/.md/.png."""
    questions = _load_set(question_set)
    thresholds = _thresholds(gate)
    out_dir = Path(out)
    if (out_dir / RESULTS_FILE).exists() and not force:
        fail(f"{out_dir} already holds a run; choose another --out or pass --force")
    try:
        bot, categories, search = open_bot(with_search=retrieval)
    except ImportError as error:
        fail(f"the bot is not available ({error})")
    except Exception as error:  # noqa: BLE001 - KB/bot start-up errors are reported, not traced
        fail(f"cannot start the bot: {error.__class__.__name__}: {error}")
    _warn_unknown_products(questions, categories)
    try:
        report = run_set(bot, questions, out_dir, set_name=Path(question_set).name,
                         categories=categories, retrieval=retrieval, search=search,
                         progress=sys.stderr.isatty(), chart=chart)
    except OSError as error:
        fail(f"cannot write the run to {out_dir}: {error}")
    _print_scores(report)
    click.echo(f"wrote {out_dir / 'report.md'}")
    _gate(report, gate, thresholds)


@eval_group.command("score")
@click.argument("question_set", metavar="SET.jsonl", type=click.Path(dir_okay=False))
@click.argument("run_dir", metavar="RUN_DIR", type=click.Path(file_okay=False))
@click.option("--retrieval/--no-retrieval", default=False, show_default=True, help="Add ranx scores of citations.")
@click.option("--gate", default=None, metavar="NAME", help="Exit 1 when below the thresholds.toml section NAME.")
def score_command(question_set: str, run_dir: str, retrieval: bool, gate: str | None) -> None:
    """Re-score RUN_DIR/results.jsonl against the set (no bot) and rewrite the report files."""
    questions = _load_set(question_set)
    thresholds = _thresholds(gate)
    path = Path(run_dir) / RESULTS_FILE
    if not path.is_file():
        fail(f"{path}: no results to score")
    try:
        results = read_results(path)
        align(questions, results)
    except ResultsError as error:
        fail(str(error))
    scores = {"citations": retrieval_scores(qrels_from_questions(questions), run_from_results(results))} \
        if retrieval else {}
    categories = catalog_categories({r.catalog_version for r in results if r.catalog_version})
    report = make_report(Path(question_set).name, questions, results, categories, retrieval=scores)
    write_report(Path(run_dir), report)
    _print_scores(report)
    _gate(report, gate, thresholds)


@eval_group.command("compare")
@click.argument("run_a", metavar="RUN_A", type=click.Path(file_okay=False))
@click.argument("run_b", metavar="RUN_B", type=click.Path(file_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON.")
def compare_command(run_a: str, run_b: str, as_json: bool) -> None:
    """Metric deltas (B - A) and the questions that got better or worse."""
    reports = []
    for run in (run_a, run_b):
        try:
            reports.append(load_report(Path(run)))
        except FileNotFoundError:
            fail(f"{Path(run) / REPORT_JSON}: not found (is {run} a run directory?)")
        except ValidationError as error:
            fail(f"{Path(run) / REPORT_JSON}: not a report ({error.error_count()} problems)")
    comparison = compare(reports[0], reports[1], run_a, run_b)
    click.echo(comparison.model_dump_json(indent=1) if as_json else render_comparison(comparison), nl=as_json)


@eval_group.command("generate")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="Question set to write.")
@click.option("--catalog", "catalog_path", default=None, type=click.Path(dir_okay=False),
              help="Catalog file (default: the bundled catalog).")
def generate_command(out: str, catalog_path: str | None) -> None:
    """One question per entry, numbered item and exclusion of the catalog, with gold and verdict."""
    from eval.generate import generate_questions, write_question_set
    from ingest import IngestError, load_catalog

    try:
        catalog = load_catalog(catalog_path)
    except (IngestError, OSError) as error:
        fail(f"cannot read the catalog: {error}")
    lines = generate_questions(catalog)
    write_question_set(Path(out), lines)
    click.echo(f"wrote {len(lines)} questions from {len(catalog.entries)} entries of {catalog.source} "
               f"({catalog.catalog_version}) to {out}")


@eval_group.command("retrieval")
@click.argument("question_set", metavar="SET.jsonl", type=click.Path(dir_okay=False))
@click.option("-k", "k", default=RETRIEVAL_K, show_default=True, help="Entries retrieved per question.")
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON.")
def retrieval_command(question_set: str, k: int, as_json: bool) -> None:
    """hit@k, MRR and nDCG (ranx) of kb.KnowledgeBase.search alone, without the bot."""
    from kb import KnowledgeBase

    questions = _load_set(question_set)
    try:
        knowledge_base = KnowledgeBase.open()
        knowledge_base.ensure_ready()
    except Exception as error:  # noqa: BLE001 - start-up errors are reported, not traced
        fail(f"cannot open the knowledge base: {error.__class__.__name__}: {error}")
    scores = retrieval_scores(qrels_from_questions(questions),
                              run_from_search(questions, kb_searcher(knowledge_base, k=k)))
    if as_json:
        click.echo(json.dumps(scores))
    else:
        for name, value in scores.items():
            click.echo(f"{name:<12} {value:.3f}")


@eval_group.command("kit")
@click.argument("out", metavar="DIR", type=click.Path(file_okay=False))
@click.option("--catalog", "catalog_path", default=None, type=click.Path(dir_okay=False),
              help="Catalog file (default: the bundled catalog).")
def kit_command(out: str, catalog_path: str | None) -> None:
    """Write the writer kit for a blind set: catalog, clauses, product names, format, briefs and checker."""
    from eval.writer_kit import build_kit
    from ingest import IngestError

    try:
        written = build_kit(Path(out), Path(catalog_path) if catalog_path else None)
    except (IngestError, OSError) as error:
        fail(f"cannot write the kit: {error}")
    click.echo(f"wrote {len(written)} files to {out}; a writer checks a set with "
               f"`python3 {Path(out) / 'check.py'} evalset FILE --min 110 --prefix bN-`")
