"""Ingest time for the bundled catalog and synthetic catalogs, and how cost per entry grows with size."""
from __future__ import annotations

import math
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click
from pydantic import BaseModel

from eval.bench.commands import kbbot_executable, run_timed, shown
from eval.bench.results import Section, at_most, below
from ingest.models import Catalog

if TYPE_CHECKING:
    from eval.bench.context import BenchContext


class IngestRun(BaseModel):
    label: str
    entries: int
    seconds: float

    @property
    def ms_per_entry(self) -> float:
        return self.seconds * 1000 / self.entries


def time_cli_ingest(catalog_path: Path, env: dict[str, str]) -> tuple[str, float]:
    """`kbbot ingest PATH` as a user runs it: a fresh process, imports and embedder load included."""
    argv = [kbbot_executable(), "ingest", str(catalog_path)]
    seconds, _ = run_timed(argv, env, timeout_s=600)
    return shown(argv), seconds


def time_ingest(catalog: Catalog, label: str, scratch: Path) -> IngestRun:
    """In-process `KnowledgeBase.ingest` into an empty home of its own: the ingest work alone."""
    from kb import KnowledgeBase
    from kb.settings import Settings

    home = Path(tempfile.mkdtemp(prefix=f"ingest-{label}-", dir=scratch))
    knowledge_base = KnowledgeBase.open(Settings.from_env().model_copy(update={"home": home}))
    start = time.perf_counter()
    knowledge_base.ingest(catalog)
    seconds = time.perf_counter() - start
    click.echo(f"  ingest {label}: {len(catalog.entries):,} entries in {seconds:.1f} s", err=True)
    return IngestRun(label=label, entries=len(catalog.entries), seconds=seconds)


def synthetic_label(size: int) -> str:
    return f"synthetic-{size}"


def time_synthetic_ingest(sizes: list[int], scratch: Path) -> list[IngestRun]:
    """`make_catalog(n)` has n products plus the general notes, so a run's `entries` is n + 1."""
    from kb.synthetic import make_catalog

    return [time_ingest(make_catalog(n, synthetic_label(n)), synthetic_label(n), scratch) for n in sizes]


def growth_exponent(runs: list[IngestRun]) -> float | None:
    """b in seconds ~ entries**b between the smallest and largest run: 1 is linear, 2 quadratic."""
    if len(runs) < 2:
        return None
    small, large = min(runs, key=lambda r: r.entries), max(runs, key=lambda r: r.entries)
    if large.entries == small.entries:
        return None
    return math.log(large.seconds / small.seconds) / math.log(large.entries / small.entries)


def ingest_section(context: BenchContext, sizes: list[int]) -> Section:
    from ingest import load_catalog

    bundled = time_ingest(load_catalog(context.catalog_path), "bundled", context.scratch)
    synthetic = time_synthetic_ingest(sizes, context.scratch)
    command = context.command("ingest", "--sizes", ",".join(map(str, sizes)))
    measurements = [below("bundled catalog ingest, in-process", bundled.seconds, 3, "s", command,
                          note=f"{bundled.entries} entries; first ingest of the process, embedder load included")]
    two_thousand = next((run for run in synthetic if run.label == synthetic_label(2000)), None)
    if two_thousand:
        measurements.append(below("2,000-entry synthetic ingest", two_thousand.seconds, 60, "s", command))
    exponent = growth_exponent(synthetic)
    if exponent is not None:
        measurements.append(at_most(f"ingest growth exponent, {min(sizes):,} to {max(sizes):,} entries", exponent,
                                    1.1, "", command, note="b in seconds ~ entries^b: 1 is linear"))
    notes = ["Each ingest goes into an empty KB_HOME of its own; the synthetic catalogs come from "
             "`kb.synthetic.make_catalog(n, version)`."]
    if 20_000 not in sizes:
        largest = max(synthetic, key=lambda run: run.entries)
        estimate_min = largest.ms_per_entry * 20_000 / 60_000
        notes.append(f"20,000 entries is opt-in (`--with-20k`); at the {largest.entries:,}-entry cost per entry it "
                     f"would take about {estimate_min:.0f} min (linear estimate, not a measurement).")
    return Section(title="Ingest", command=command, measurements=measurements,
                   columns=["catalog", "entries", "seconds", "ms per entry"],
                   rows=[[run.label, f"{run.entries:,}", f"{run.seconds:.2f}", f"{run.ms_per_entry:.2f}"]
                         for run in [bundled, *synthetic]],
                   notes=notes)
