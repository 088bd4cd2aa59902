"""`kbbot`: one entry point; each stage owns its subcommands and is imported only when used."""
from __future__ import annotations

import importlib
import sys

import click

# name -> "module:attribute" of a click command; importing lazily keeps `kbbot --help` instant
# and spares `kbbot catalog` the cost of torch, gradio and chromadb.
COMMANDS: dict[str, str] = {
    "ingest": "ingest.cli:ingest_command",
    "catalog": "ingest.cli:catalog_command",
    "search": "kb.cli:search_command",
    "versions": "kb.cli:versions_command",
    "diff": "kb.cli:diff_command",
    "ask": "bot.cli:ask_command",
    "eval": "eval.cli:eval_group",
    "serve": "bot.surfaces.serve:serve_command",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        return getattr(importlib.import_module(module_name), attribute)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="kbbot")
def cli() -> None:
    """kbbot: answers about a service catalog, grounded in the catalog and cited."""


def main() -> None:
    try:
        cli(standalone_mode=True)
    except KeyboardInterrupt:
        sys.exit(130)
