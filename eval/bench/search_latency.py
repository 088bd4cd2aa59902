"""Warm `KnowledgeBase.search` latency: the retrieval share of an answer."""
from __future__ import annotations

import time
from typing import TYPE_CHECKING

from eval.bench.results import Measurement, Section, below
from eval.bench.stats import percentile

if TYPE_CHECKING:
    from eval.bench.context import BenchContext

WARM_UP_QUERY = "升级服务"


def search_latencies_ms(queries: list[str], k: int = 5) -> list[float]:
    """One timed search per query, after one untimed search (not of the set) that loads the indexes."""
    from kb import KnowledgeBase

    knowledge_base = KnowledgeBase.open()
    knowledge_base.ensure_ready()
    knowledge_base.search(WARM_UP_QUERY, k)
    latencies = []
    for query in queries:
        start = time.perf_counter()
        knowledge_base.search(query, k)
        latencies.append((time.perf_counter() - start) * 1000)
    return latencies


def search_section(context: BenchContext) -> Section:
    queries = [item.question for item in context.questions()]
    latencies = search_latencies_ms(queries)
    command = context.command("search")
    return Section(
        title="Search latency (warm, in-process)",
        command=command,
        measurements=[
            Measurement(name="warm search p50", value=percentile(latencies, 50), unit="ms", command=command),
            below("warm search p95", percentile(latencies, 95), 15, "ms", command, note=f"{len(queries)} queries, k=5"),
        ],
        notes=["`KnowledgeBase.open().search(question, k=5)` once per question text of the set, after one "
               "untimed search."],
    )
