"""Cold start of `kbbot ask`: a fresh process, start to printed answer, on an already built KB."""
from __future__ import annotations

import json
import statistics
from typing import TYPE_CHECKING

from pydantic import BaseModel

from eval.bench.commands import kbbot_executable, run_timed, shown
from eval.bench.results import Measurement, Section, at_most, counted

if TYPE_CHECKING:
    from eval.bench.context import BenchContext


class ColdRuns(BaseModel):
    command: str
    seconds: list[float]

    @property
    def median_s(self) -> float:
        return statistics.median(self.seconds)


def time_cold_ask(question: str, env: dict[str, str], runs: int = 5, timeout_s: float = 120.0) -> ColdRuns:
    """Wall time until the process has printed its JSON answer and exited (exit included: pessimistic)."""
    argv = [kbbot_executable(), "ask", question, "--json"]
    seconds = []
    for _ in range(runs):
        elapsed, stdout = run_timed(argv, env, timeout_s)
        json.loads(stdout)  # a run only counts when it printed a whole answer
        seconds.append(elapsed)
    return ColdRuns(command=shown(argv), seconds=seconds)


def cold_section(context: BenchContext, runs: int) -> Section:
    question = context.questions()[0].question
    cold = time_cold_ask(question, context.env, runs)
    return Section(
        title="Cold start of `kbbot ask`",
        command=cold.command,
        measurements=[
            at_most("cold `kbbot ask`, median", cold.median_s, 3, "s", cold.command, note=counted(runs, "run")),
            Measurement(name="cold `kbbot ask`, slowest", value=max(cold.seconds), unit="s", command=cold.command),
        ],
        columns=["run", "seconds"],
        rows=[[str(n), f"{seconds:.2f}"] for n, seconds in enumerate(cold.seconds, 1)],
        notes=["A fresh process per run on the already built benchmark KB, timed from spawn until it has printed "
               "its JSON answer and exited (interpreter shutdown included, so slightly pessimistic)."],
    )
