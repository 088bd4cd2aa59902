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
    """One row an entry; long descriptions are cut, `--json` has everything."""
    from rich.cells import cell_len
    from rich.console import Console
    from rich.table import Table

    def fitted(values: list[str]) -> int:
        return max(cell_len(value) for value in values)

    entries = catalog.entries
    table = Table(title=f"{catalog.source} — {catalog.catalog_version}, {len(entries)} entries", expand=True)
    table.add_column("page", justify="right", min_width=4)
    table.add_column("category", no_wrap=True, min_width=fitted([e.category for e in entries]))
    table.add_column("product", no_wrap=True, style="bold", min_width=fitted([e.product for e in entries]))
    table.add_column("items", justify="right", min_width=5)
    table.add_column("excl.", justify="right", min_width=5)
    table.add_column("description", no_wrap=True, overflow="ellipsis", ratio=1)
    for entry in entries:
        table.add_row(str(entry.page), entry.category, entry.product, str(len(entry.items)),
                      str(len(entry.exclusions)), " ".join((entry.description or entry.text).split()))
    Console().print(table)
