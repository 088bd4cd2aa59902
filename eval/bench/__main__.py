"""`python -m eval.bench --out BENCHMARKS.md`: run every benchmark in one process and write the report.

Each benchmark runs against a knowledge base built in a temporary KB_HOME, so the user's KB is never
touched. A benchmark that breaks is reported as not measured (with its error) and the run goes on;
the exit code is then 1.
"""
from __future__ import annotations

import os
import shlex
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

import click

from eval.bench.answer_latency import answer_section
from eval.bench.cold_start import cold_section
from eval.bench.commands import PYTHON
from eval.bench.context import BenchContext, build_bench_kb
from eval.bench.ingest_scaling import ingest_section
from eval.bench.machine import describe_machine
from eval.bench.naive import naive_section
from eval.bench.report import render
from eval.bench.results import Section
from eval.bench.search_latency import search_section
from eval.bench.serve_load import serve_sections
from eval.questions import QuestionSetError, load_question_set
from ingest import BUNDLED_CATALOG

REPO = Path(__file__).resolve().parents[2]
DEV_SET = REPO / "eval" / "sets" / "dev.jsonl"
BENCHMARKS = ("ingest", "answer", "search", "naive", "cold", "serve")
KB_STEP = "kb"  # always first: the later benchmarks read the KB it builds


def _int_list(ctx: click.Context, param: click.Parameter, value: str) -> list[int]:
    try:
        numbers = [int(part) for part in value.split(",") if part.strip()]
    except ValueError:
        raise click.BadParameter(f"expected comma-separated integers, got {value!r}") from None
    if not numbers or min(numbers) < 1:
        raise click.BadParameter("expected positive integers")
    return numbers


@click.command()
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=Path("BENCHMARKS.md"),
              show_default=True, help="Markdown report to write.")
@click.option("--set", "set_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=DEV_SET,
              show_default=True, help="Question set (public format) for answer, search, naive and load.")
@click.option("--only", type=click.Choice(BENCHMARKS), multiple=True, help="Run only these benchmarks (repeatable).")
@click.option("--sizes", default="200,2000", show_default=True, callback=_int_list,
              help="Synthetic catalog sizes for the ingest benchmark.")
@click.option("--with-20k", is_flag=True, help="Also ingest a 20,000-entry synthetic catalog (slow).")
@click.option("--clients", default="16,32,64", show_default=True, callback=_int_list,
              help="Concurrent client counts for the load benchmark.")
@click.option("--load-seconds", type=click.FloatRange(min=0.5), default=20.0, show_default=True,
              help="How long each load level runs.")
@click.option("--cold-runs", type=click.IntRange(min=1), default=5, show_default=True,
              help="Fresh `kbbot ask` processes to time.")
@click.option("--serve-runs", type=click.IntRange(min=1), default=3, show_default=True,
              help="Fresh `kbbot serve` starts to time.")
def main(out: Path, set_path: Path, only: tuple[str, ...], sizes: list[int], with_20k: bool, clients: list[int],
         load_seconds: float, cold_runs: int, serve_runs: int) -> None:
    """Measure kbbot's speed, scale and robustness and write them, with their commands, to OUT."""
    try:
        load_question_set(set_path)
    except QuestionSetError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(2)
    # SIGTERM unwinds like Ctrl-C, so the `finally` blocks stop a running `kbbot serve` (its own session,
    # out of reach of a signal to our process group) and remove the temporary KB_HOME.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    started = time.perf_counter()
    machine = describe_machine()
    invocation = shlex.join([PYTHON, "-m", "eval.bench", *sys.argv[1:]])
    home = Path(tempfile.mkdtemp(prefix="kbbot-bench-"))
    os.environ["KB_HOME"] = str(home / "kb")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    context = BenchContext(catalog_path=BUNDLED_CATALOG, set_path=set_path, scratch=home, env=dict(os.environ))
    runners: dict[str, Callable[[], list[Section]]] = {
        KB_STEP: lambda: [build_bench_kb(context)],
        "ingest": lambda: [ingest_section(context, [*sizes, *([20_000] if with_20k else [])])],
        "answer": lambda: [answer_section(context)],
        "search": lambda: [search_section(context)],
        "naive": lambda: [naive_section(context)],
        "cold": lambda: [cold_section(context, cold_runs)],
        "serve": lambda: serve_sections(context, clients, load_seconds, serve_runs),
    }
    results: list[Section] = []
    failed = False
    try:
        for name in [KB_STEP, *(name for name in BENCHMARKS if name in (only or BENCHMARKS))]:
            click.echo(f"bench: {name} ...", err=True)
            try:
                results += runners[name]()
            except Exception as error:  # a broken benchmark is reported, the others still run
                failed = True
                traceback.print_exc()
                results.append(Section(title=f"{name}: not measured",
                                       notes=[f"failed: {type(error).__name__}: {error}"]))
    finally:
        shutil.rmtree(home, ignore_errors=True)
    out.write_text(render(machine, results, invocation, os.getloadavg(), time.perf_counter() - started),
                   encoding="utf-8")
    click.echo(f"wrote {out}", err=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
