from __future__ import annotations

from eval.bench.machine import describe_machine
from eval.bench.report import render
from eval.bench.results import Measurement, Section, at_most, below, counted


def test_targets_pass_and_fail_at_their_bounds() -> None:
    assert at_most("p50", 20.0, 20, "ms", "cmd").passed is True
    assert at_most("p50", 20.1, 20, "ms", "cmd").passed is False
    assert below("p95", 15.0, 15, "ms", "cmd").passed is False
    assert below("p95", None, 15, "ms", "cmd").passed is None


def test_machine_is_described() -> None:
    machine = describe_machine()

    assert machine.logical_cores >= 1 and machine.ram_gb > 0
    assert machine.packages["pydantic"] != "not installed"


def test_report_lists_every_number_with_its_command() -> None:
    sections = [
        Section(title="Answer latency", command="python -m eval.bench --only answer",
                measurements=[at_most("warm answer p50", 12.5, 20, "ms", "python -m eval.bench --only answer"),
                              at_most("warm answer p95", 80.0, 50, "ms", "python -m eval.bench --only answer")]),
        Section(title="Ingest",
                measurements=[Measurement(name="kbbot ingest", value=4.2, unit="s", command="kbbot ingest X")],
                columns=["catalog", "seconds"], rows=[["a|b", "1.00"]], notes=["a caveat"]),
        Section(title="serve: not measured", notes=["failed: ServerFailed: boom"]),
    ]

    text = render(describe_machine(), sections, "python -m eval.bench --out B.md", (0.5, 0.5, 0.5), 12.0)

    assert "| warm answer p50 | 12.5 ms | <= 20 ms | PASS | `python -m eval.bench --only answer` |" in text
    assert "| warm answer p95 | 80.0 ms | <= 50 ms | **FAIL** |" in text
    assert "| kbbot ingest | 4.20 s | `kbbot ingest X` |" in text
    assert "| a\\|b | 1.00 |" in text
    assert "- failed: ServerFailed: boom" in text
    assert "## Machine" in text and "Written by `python -m eval.bench --out B.md`" in text


def test_counts_read_as_sentences() -> None:
    assert counted(1, "run") == "1 run"
    assert counted(5, "start") == "5 starts"
