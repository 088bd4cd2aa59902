"""Warm answer latency of the in-process bot over a question set, kept as results for scoring."""
from __future__ import annotations

import time
from typing import TYPE_CHECKING

from eval.bench.results import Measurement, Section, at_most
from eval.bench.stats import percentile
from eval.questions import Question
from eval.results import ResultLine

if TYPE_CHECKING:
    from eval.bench.context import BenchContext

WARM_UP_QUESTION = "升级服务包含哪些内容？"


def answer_results(questions: list[Question]) -> list[ResultLine]:
    """Ask every question once on a warmed-up bot, timing each answer alone."""
    from bot import CatalogBot

    bot = CatalogBot()
    bot.ask(WARM_UP_QUESTION, [])  # loads the KB, embedder and indexes outside the timed loop
    results = []
    for question in questions:
        start = time.perf_counter()
        try:
            answer = bot.ask(question.question, question.history)
        except Exception as error:  # one crash is a wrong answer, as in the eval runner, not a lost benchmark
            results.append(ResultLine.from_error(question, error, (time.perf_counter() - start) * 1000))
            continue
        results.append(ResultLine.from_answer(question, answer, (time.perf_counter() - start) * 1000))
    return results


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
        notes=["`CatalogBot().ask(question, history)` once per question of the set, in order, after one untimed "
               "warm-up question; each answer timed alone with `time.perf_counter`."],
    )
