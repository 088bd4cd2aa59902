from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from eval.bench.__main__ import main


def test_a_malformed_question_set_stops_before_measuring(tmp_path: Path) -> None:
    bad_set = tmp_path / "bad.jsonl"
    bad_set.write_text('{"id": "q1"}\n', encoding="utf-8")
    out = tmp_path / "BENCHMARKS.md"

    result = CliRunner().invoke(main, ["--set", str(bad_set), "--out", str(out)])

    assert result.exit_code == 2
    assert f"{bad_set}:1:" in result.output
    assert not out.exists()


def test_sizes_must_be_positive_integers(tmp_path: Path) -> None:
    for sizes in ("abc", "0", ""):
        result = CliRunner().invoke(main, ["--sizes", sizes, "--out", str(tmp_path / "B.md")])
        assert result.exit_code == 2
        assert "--sizes" in result.output
