"""Warm answer latency of the in-process bot over a question set, kept as results for scoring."""
from __future__ import annotations

from typing import TYPE_CHECKING

from eval.bench.results import Measurement, Section, at_most
from eval.bench.stats import percentile
from eval.questions import Question
from eval.results import ResultLine
from eval.runner import ask_all

if TYPE_CHECKING:
    from eval.bench.context import BenchContext

def answer_results(questions: list[Question]) -> list[ResultLine]:
    """The eval runner's warm, per-question timing (`eval.runner.ask_all`) on a fresh CatalogBot."""
    from bot import CatalogBot

    return ask_all(CatalogBot(), questions, progress=False)


def answer_section(context: BenchContext) -> Section:
    results = context.kbbot_results = answer_results(context.questions())
    latencies = [result.latency_ms for result in results]
    errors = sum(result.error is not None for result in results)
    command = context.command("answer")
    count = f"{len(results)} questions"
    return Section(
        title="Answer latency (warm, in-process)",
        command=command,
        measurements=[
            at_most("warm answer p50", percentile(latencies, 50), 20, "ms", command, note=count),
            at_most("warm answer p95", percentile(latencies, 95), 50, "ms", command, note=count),
            Measurement(name="warm answer, slowest", value=max(latencies), unit="ms", command=command),
            Measurement(name="questions on which the bot raised", value=errors, unit="", command=command),
        ],
        notes=["`CatalogBot().ask(question, history)` once per question of the set, in order, timed as "
               "`kbbot eval run` times them (`eval.runner.ask_all`: the first question once untimed, then each "
               "answer alone with `time.perf_counter`)."],
    )
