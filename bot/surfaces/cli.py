"""`kbbot`: one entry point; each stage owns its subcommands and is imported only when used."""
from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

# name -> ("module:attribute" of a click command, one-line help). Importing lazily keeps
# `kbbot --help` instant and spares `kbbot catalog` the cost of torch, gradio and chromadb.
COMMANDS: dict[str, tuple[str, str]] = {
    "ingest": ("kb.cli:ingest_command", "Parse catalog files and build a knowledge-base version."),
    "catalog": ("ingest.cli:catalog_command", "Show the parsed entries of a catalog file."),
    "search": ("kb.cli:search_command", "Rank catalog entries for a query, with evidence clauses."),
    "versions": ("kb.cli:versions_command", "List the ingested catalog versions."),
    "diff": ("kb.cli:diff_command", "Compare two catalog files or versions."),
    "ask": ("bot.cli:ask_command", "Answer a question from the catalog, with citations."),
    "eval": ("eval.cli:eval_group", "Run, compare and generate question sets."),
    "examples": ("bot.teach:examples_group", "Teach the bot labelled examples; refit its decisions."),
    "serve": ("bot.surfaces.serve:serve_command", "Serve the chat widget, staff lookup and HTTP API."),
}


class UserError(click.ClickException):
    """A click error shown as every kbbot subcommand shows bad input: one line, `kbbot: error: …`."""

    def __init__(self, error: click.ClickException) -> None:
        message = " ".join(error.format_message().split())
        ctx = getattr(error, "ctx", None)
        if isinstance(error, click.UsageError) and ctx is not None:
            message += f" (hint: {ctx.command_path} --help)"
        super().__init__(message)
        self.exit_code = error.exit_code

    def show(self, file: Any = None) -> None:
        click.echo(f"kbbot: error: {self.message}", err=True)


@contextmanager
def one_line_errors() -> Iterator[None]:
    try:
        yield
    except UserError:
        raise
    except click.ClickException as error:
        raise UserError(error) from error


class LazyGroup(click.Group):
    """Subcommands imported when used; click's own errors (a missing argument, a bad option) as one line."""

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        with one_line_errors():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        with one_line_errors():
            return super().invoke(ctx)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module_name, attribute = COMMANDS[name][0].split(":")
        return getattr(importlib.import_module(module_name), attribute)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, help_text) for name, (_, help_text) in sorted(COMMANDS.items())])


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="kbbot")
def cli() -> None:
    """kbbot: answers about a service catalog, grounded in the catalog and cited."""


def main() -> None:
    try:
        cli(standalone_mode=True)
    except KeyboardInterrupt:
        sys.exit(130)
