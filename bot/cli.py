"""`kbbot ask`: one question from the command line, answered from the active catalog."""
from __future__ import annotations

import json
from pathlib import Path

import click
from pydantic import ValidationError

from bot.hygiene import MAX_QUESTION_CHARS
from bot.models import Answer, Turn


def _fail(message: str) -> None:
    click.echo(f"kbbot: error: {message}", err=True)
    raise SystemExit(2)


def _read_history(path: Path | None) -> list[Turn]:
    if path is None:
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, list):
            raise ValueError("expected a JSON list of {\"role\", \"content\"} objects")
        return [Turn.model_validate(turn) for turn in data]
    except OSError as error:
        _fail(f"cannot read history file {path}: {error.strerror or error}")
    except (ValueError, ValidationError) as error:
        first_line = str(error).splitlines()[0]
        _fail(f"history file {path} is not a list of {{role: user|assistant, content}} turns: {first_line}")
    return []


def _render(answer: Answer) -> str:
    lines = [answer.answer]
    if answer.citations:
        lines += ["", "Sources / 引用:"]
        lines += [f"[{n}] {c.product} · {c.category} · p.{c.page}: 「{c.quote}」" for n, c in enumerate(answer.citations, 1)]
    return "\n".join(lines)


@click.command("ask")
@click.argument("question")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as the results-line JSON of the eval format.")
@click.option("--history", "history_file", type=click.Path(path_type=Path, dir_okay=False),
              help="JSON file with earlier turns: [{\"role\": \"user\"|\"assistant\", \"content\": \"…\"}].")
def ask_command(question: str, as_json: bool, history_file: Path | None) -> None:
    """Answer QUESTION from the catalog, with its sources (ingests the bundled catalog into an empty KB)."""
    if len(question) > MAX_QUESTION_CHARS:
        _fail(f"the question is {len(question)} characters long; the limit is {MAX_QUESTION_CHARS}")
    history = _read_history(history_file)
    from kb.errors import KBError

    from bot.chain import CatalogBot
    from bot.llm import LLMConfigError

    try:
        answer = CatalogBot().ask(question, history)
    except (KBError, LLMConfigError) as error:
        _fail(str(error).splitlines()[0])
    if as_json:
        click.echo(json.dumps(answer.model_dump(mode="json"), ensure_ascii=False))
    else:
        click.echo(_render(answer))
