"""What every benchmark shares: the bundled catalog, the question set, a scratch KB_HOME and the commands."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from eval.bench.commands import bench_command, display_path
from eval.bench.ingest_scaling import time_cli_ingest
from eval.bench.results import Measurement, Section
from eval.questions import Question, load_question_set
from eval.results import ResultLine


@dataclass
class BenchContext:
    catalog_path: Path
    set_path: Path
    scratch: Path
    env: dict[str, str]
    kbbot_results: list[ResultLine] = field(default_factory=list, repr=False)
    _questions: list[Question] = field(default_factory=list, repr=False)

    def questions(self) -> list[Question]:
        if not self._questions:
            self._questions = load_question_set(self.set_path)
        return self._questions

    def command(self, benchmark: str, *options: str) -> str:
        """The command that reruns just this benchmark on this set, for the report's command column."""
        return bench_command(benchmark, *options, "--set", display_path(self.set_path))


def build_bench_kb(context: BenchContext) -> Section:
    """Build the KB the later benchmarks read, with the user's own command, and report how long it took."""
    command, seconds = time_cli_ingest(context.catalog_path, context.env)
    return Section(
        title="Benchmark knowledge base",
        command=command,
        measurements=[Measurement(name="bundled catalog, `kbbot ingest` in a fresh process", value=seconds, unit="s",
                                  command=command, note="process start to exit: imports and embedder load included")],
        notes=["The answer, search, cold-start and serving benchmarks read this KB, in a temporary KB_HOME."],
    )
