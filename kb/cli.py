"""`kbbot ingest | versions | search | diff`: the knowledge base's own subcommands."""
from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from ingest.models import Catalog


def reports_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Bad input and broken stores end as one line on stderr and exit code 2, never a stack trace."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from ingest.errors import IngestError
        from kb.errors import KBError, disk_full, is_disk_full

        try:
            return command(*args, **kwargs)
        except (KBError, IngestError) as error:
            click.echo(f"kbbot: error: {error}", err=True)
            sys.exit(2)
        except OSError as error:  # a write no layer below mapped: still one line when the disk is full
            if not is_disk_full(error):
                raise
            click.echo(f"kbbot: error: {disk_full(error.filename or 'KB_HOME')}", err=True)
            sys.exit(2)

    return wrapper


def read_catalog(path: Path) -> Catalog:
    """A catalog document through ingest, or a Catalog already parsed to JSON (kb.synthetic, a backup)."""
    from ingest import load_catalog
    from ingest.errors import IngestError

    if path.suffix.lower() == ".json":
        try:
            return Catalog.model_validate_json(path.read_bytes())
        except (OSError, ValueError) as error:
            raise IngestError(f"{path}: not a catalog JSON file ({str(error).splitlines()[0]})") from error
    return load_catalog(path)


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@click.command("ingest")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--rebuild", is_flag=True, help="Set a corrupt store aside and build from scratch.")
@click.option("--no-wait", is_flag=True,
              help="Exit 2 at once when another process is writing to this KB_HOME, instead of waiting for it.")
@click.option("--json", "as_json", is_flag=True, help="Print what was built as JSON.")
@reports_errors
def ingest_command(paths: tuple[Path, ...], rebuild: bool, no_wait: bool, as_json: bool) -> None:
    """Build a knowledge-base version from each catalog (the bundled one without PATH); the last becomes active."""
    from ingest import BUNDLED_CATALOG
    from kb.chunks import make_chunks
    from kb.knowledge_base import KnowledgeBase
    from kb.registry import set_store_aside

    catalogs = [read_catalog(path) for path in (paths or (BUNDLED_CATALOG,))]  # all parse before any is built
    knowledge_base = KnowledgeBase.open()
    purpose = "ingest " + ", ".join(catalog.catalog_version for catalog in catalogs) + (" --rebuild" if rebuild else "")
    built = []
    with knowledge_base.writing(purpose, wait=not no_wait):  # the set-aside too: never under another writer
        if rebuild:
            moved = set_store_aside(knowledge_base.settings.home)
            if moved:
                click.echo(f"kbbot: the old store was moved aside to {moved}", err=True)
        for catalog in catalogs:
            with progress_bar(len(make_chunks(catalog)), catalog.catalog_version, quiet=as_json) as advance:
                built.append(knowledge_base.ingest(catalog, progress=advance))
    if as_json:
        echo_json([info.model_dump() for info in built])
        return
    for info in built:
        click.echo(f"built {info.version} from {info.source}: {info.entries} entries, {info.chunks} chunks "
                   f"({info.reembedded} embedded, {info.reused} reused) with {info.embeddings} "
                   f"in {info.seconds:.1f} s -> {info.collection}")
        seeded = " (seeded from the catalog's structure: no written example names its products)" if info.examples_seeded else ""
        click.echo(f"example memory: {info.examples} examples vote on {info.version}{seeded}")
        if info.stale_examples:
            click.echo(f"{len(info.stale_examples)} examples stopped voting (product removed or clause changed; "
                       f"fix or remove them, see `kbbot examples list --json`):", err=True)
            for line in info.stale_examples:
                click.echo(f"  - {line}", err=True)
    click.echo(f"active version: {built[-1].version}")


@contextmanager
def progress_bar(total: int, label: str, quiet: bool) -> Iterator[Callable[[int], object]]:
    """A tqdm bar on stderr for big catalogs; silent for small ones and for --json."""
    from tqdm import tqdm

    with tqdm(total=total, desc=f"embedding {label}", unit="chunk", file=sys.stderr,
              disable=quiet or total < 500) as bar:
        yield bar.update


@click.group("versions", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print the versions as JSON.")
@click.pass_context
@reports_errors
def versions_command(context: click.Context, as_json: bool) -> None:
    """List the ingested catalog versions; the active one is marked. `activate VERSION` serves another."""
    from kb.knowledge_base import KnowledgeBase

    if context.invoked_subcommand is not None:
        return
    versions = KnowledgeBase.open().versions()
    if as_json:
        echo_json([info.model_dump() for info in versions])
        return
    if not versions:
        click.echo("no versions yet: run `kbbot ingest`")
    for info in versions:
        marker = "*" if info.active else " "
        click.echo(f"{marker} {info.version}  {info.entries} entries  {info.chunks} chunks  {info.embeddings}  "
                   f"built {info.built_at}  from {info.source}")


@versions_command.command("activate")
@click.argument("version")
@click.option("--no-wait", is_flag=True,
              help="Exit 2 at once when another process is writing to this KB_HOME, instead of waiting for it.")
@reports_errors
def activate_command(version: str, no_wait: bool) -> None:
    """Serve VERSION, an edition ingested before, again: nothing is re-ingested or re-embedded; a running
    server answers from it at its next question."""
    from kb.knowledge_base import KnowledgeBase

    info, already = KnowledgeBase.open().activate(version, wait=not no_wait)
    if already:
        click.echo(f"{info.version} is already active ({info.collection})")
        return
    click.echo(f"active version: {info.version} ({info.entries} entries, built {info.built_at} -> {info.collection})")


@click.command("search")
@click.argument("query")
@click.option("--k", default=5, show_default=True, type=click.IntRange(1, 100), help="How many entries.")
@click.option("--category", default=None, help="Only entries of this category.")
@click.option("--json", "as_json", is_flag=True, help="Print ranked entries as JSON.")
@reports_errors
def search_command(query: str, k: int, category: str | None, as_json: bool) -> None:
    """Rank catalog entries for QUERY, with scores and the clauses that matched."""
    from kb.knowledge_base import KnowledgeBase

    knowledge_base = KnowledgeBase.open()
    hits = knowledge_base.search(query, k=k, category=category)
    if as_json:
        echo_json({"query": query, "catalog_version": knowledge_base.active_version, "hits": [
            {"product": hit.entry.product, "category": hit.entry.category, "page": hit.entry.page,
             "score": round(hit.score, 4), "name_match": hit.name_match, "dense_score": round(hit.dense_score, 4),
             "lexical_score": round(hit.lexical_score, 4), "evidence": [e.model_dump() for e in hit.evidence]}
            for hit in hits]})
        return
    for rank, hit in enumerate(hits, 1):
        named = " (named)" if hit.name_match else ""
        click.echo(f"{rank}. {hit.entry.product} [{hit.entry.category}, p.{hit.entry.page}] "
                   f"score {hit.score:.3f}{named}")
        for evidence in hit.evidence:
            click.echo(f"     - {evidence.text}")


@click.command("diff")
@click.argument("old")
@click.argument("new")
@click.option("--json", "as_json", is_flag=True, help="Print the differences as JSON.")
@reports_errors
def diff_command(old: str, new: str, as_json: bool) -> None:
    """Compare two catalogs, each a file or an ingested version name."""
    from kb.diff import diff_catalogs

    difference = diff_catalogs(_resolve(old), _resolve(new))
    if as_json:
        echo_json(difference.model_dump())
        return
    for product in difference.added:
        click.echo(f"+ {product}")
    for product in difference.removed:
        click.echo(f"- {product}")
    for change in difference.changed:
        click.echo(f"~ {change.product}")
        for clause in change.added_clauses:
            click.echo(f"    + {clause}")
        for clause in change.removed_clauses:
            click.echo(f"    - {clause}")


def _resolve(name: str) -> Catalog:
    """An existing file is parsed; anything else must be an ingested version."""
    from kb.knowledge_base import KnowledgeBase

    path = Path(name)
    return read_catalog(path) if path.exists() else KnowledgeBase.open().version_catalog(name)
