"""Render a bench run as BENCHMARKS.md: machine first, then targets, then each benchmark's detail."""
from __future__ import annotations

from eval.bench.machine import Machine
from eval.bench.results import Measurement, Section


def _value(measurement: Measurement) -> str:
    if measurement.value is None:
        return "n/a"
    value = measurement.value
    if measurement.unit == "" and value.is_integer():  # counts
        return f"{value:.0f}"
    digits = 0 if abs(value) >= 100 else 2 if abs(value) < 10 else 1
    return f"{value:.{digits}f} {measurement.unit}".rstrip()


def _verdict(measurement: Measurement) -> str:
    return {True: "PASS", False: "**FAIL**", None: "—"}[measurement.passed]


def _table(columns: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return lines


def _measurement_rows(measurements: list[Measurement]) -> list[list[str]]:
    return [[m.name, _value(m), m.target or "", _verdict(m) if m.target else "", f"`{m.command}`",
             m.note] for m in measurements]


def render(machine: Machine, sections: list[Section], invocation: str, load_average_after: tuple[float, ...],
           elapsed_s: float) -> str:
    targeted = [m for section in sections for m in section.measurements if m.target]
    lines = [
        "# Benchmarks",
        "",
        f"Written by `{invocation}` on {machine.date_utc} in {elapsed_s:.0f} s. Every number below names the "
        "command that produced it; `make bench` reruns them all.",
        "",
        f"> Load average at start {machine.load_average[0]:.2f}, at end {load_average_after[0]:.2f} on "
        f"{machine.logical_cores} cores. A load average near or above the core count means other work "
        "shared the CPU and the latencies are pessimistic: re-measure on an idle machine before quoting them.",
        "",
        "## Machine",
        "",
        *_table(["", ""], [
            ["CPU", machine.cpu_model],
            ["cores (logical / physical)", f"{machine.logical_cores} / {machine.physical_cores}"],
            ["RAM", f"{machine.ram_gb} GiB"],
            ["Python", machine.python],
            ["platform", machine.platform],
        ]),
        "",
        "Packages: " + ", ".join(f"{name} {version}" for name, version in machine.packages.items()),
        "",
        "## Targets",
        "",
        *_table(["measurement", "value", "target", "result", "command", "note"], _measurement_rows(targeted)),
        "",
    ]
    for section in sections:
        lines += [f"## {section.title}", ""]
        if section.command:
            lines += [f"Command: `{section.command}`", ""]
        untargeted = [m for m in section.measurements if not m.target]
        if untargeted:
            lines += [*_table(["measurement", "value", "command", "note"],
                              [[m.name, _value(m), f"`{m.command}`", m.note] for m in untargeted]), ""]
        if section.rows:
            lines += [*_table(section.columns, section.rows), ""]
        lines += [f"- {note}" for note in section.notes]
        if section.notes:
            lines.append("")
    return "\n".join(lines)
