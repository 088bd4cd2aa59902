"""`kbbot catalog [PATH] [--json]`: show what ingest makes of a catalog file."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ingest.errors import IngestError

_JSON_ENTRY_FIELDS = ["id", "product", "category", "page", "description", "items", "exclusions", "text"]


@click.command("catalog")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the parsed catalog as JSON.")
def catalog_command(path: Path | None, as_json: bool) -> None:
    """Show the parsed entries of a catalog file (the bundled catalog without PATH)."""
    from ingest import load_catalog

    try:
        catalog = load_catalog(path)
    except IngestError as error:
        click.echo(f"kbbot: error: {error}", err=True)
        sys.exit(2)
    for warning in catalog.warnings:
        click.echo(f"kbbot: warning: {warning}", err=True)
    if as_json:
        payload = {
            "catalog_version": catalog.catalog_version,
            "source": catalog.source,
            "entries": [entry.model_dump(include=set(_JSON_ENTRY_FIELDS)) for entry in catalog.entries],
        }
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        _print_table(catalog)


def _print_table(catalog) -> None:  # noqa: ANN001 - ingest.models.Catalog, imported lazily with rich
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{catalog.source} — {catalog.catalog_version}, {len(catalog.entries)} entries")
    for column in ("page", "category", "product", "items", "exclusions", "description"):
        table.add_column(column, overflow="fold")
    for entry in catalog.entries:
        table.add_row(str(entry.page), entry.category, entry.product, str(len(entry.items)),
                      "\n".join(entry.exclusions), entry.description)
    Console().print(table)
