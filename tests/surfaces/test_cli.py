"""`kbbot`'s entry point: every subcommand's user errors, click's own included, are one line
`kbbot: error: …` on stderr and a non-zero exit, never click's usage block or a traceback."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.surfaces.cli import cli


def kbbot(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), prog_name="kbbot")


def assert_one_line_error(result: Result, exit_code: int, *parts: str) -> None:
    assert result.exit_code == exit_code, result.output
    assert result.stderr.startswith("kbbot: error: ") and result.stderr.count("\n") == 1, result.stderr
    assert all(part in result.stderr for part in parts), result.stderr
    assert result.stdout == "" and "Traceback" not in result.output


@pytest.fixture(autouse=True)
def empty_kb(kb_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KB_EMBEDDINGS", "fake")
    monkeypatch.delenv("KB_LLM", raising=False)


def test_ask_with_a_bad_history_file(tmp_path: Path) -> None:
    history = tmp_path / "history.json"
    history.write_text("not json", encoding="utf-8")
    assert_one_line_error(kbbot("ask", "升级服务是什么", "--history", str(history)), 2, "is not a list of")
    assert_one_line_error(kbbot("ask", "升级服务是什么", "--history", str(tmp_path / "nope.json")), 2,
                          "cannot read history file")


def test_ask_with_an_overlong_question() -> None:
    assert_one_line_error(kbbot("ask", "问" * 2001), 2, "limit is 2000")


@pytest.mark.parametrize(("args", "parts"), [
    (["ask"], ["Missing argument 'QUESTION'", "kbbot ask --help"]),
    (["ask", "升级服务是什么", "--nope"], ["No such option '--nope'", "kbbot ask --help"]),
    (["ask", "升级服务是什么", "--history", "."], ["Invalid value for '--history'", "is a directory"]),
    (["search"], ["Missing argument", "kbbot search --help"]),
    (["eval", "run"], ["Missing argument", "kbbot eval run --help"]),
    (["nope"], ["No such command 'nope'", "kbbot --help"]),
])
def test_clicks_own_errors_are_one_line(args: list[str], parts: list[str]) -> None:
    assert_one_line_error(kbbot(*args), 2, *parts)
