"""N concurrent chat clients against a live `/v1/chat/completions`, each bounded in time and count.

Rate-limited (429) and overloaded (503) answers are counted apart from failures: they are the
server protecting itself, not breaking. Latency percentiles are over successful answers only.
"""
from __future__ import annotations

import asyncio
import time
from collections import Counter

import httpx
from pydantic import BaseModel

from eval.bench.stats import percentile

CHAT_PATH = "/v1/chat/completions"


class LoadResult(BaseModel):
    clients: int
    duration_s: float
    requests: int
    ok: int
    rate_limited: int
    overloaded: int
    failed: int
    throughput_rps: float
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    failure_kinds: dict[str, int]


def _is_chat_answer(response: httpx.Response) -> bool:
    """A 200 only counts when it carries an OpenAI-style message: a blank 200 is a failure."""
    try:
        return isinstance(response.json()["choices"][0]["message"]["content"], str)
    except (ValueError, KeyError, IndexError, TypeError):
        return False


async def _client(http: httpx.AsyncClient, url: str, questions: list[str], offset: int, deadline: float,
                  max_requests: int, latencies_ms: list[float], outcomes: Counter[str]) -> None:
    for i in range(max_requests):
        if time.perf_counter() >= deadline:
            return
        body = {"model": "kbbot", "messages": [{"role": "user", "content": questions[(offset + i) % len(questions)]}]}
        start = time.perf_counter()
        try:
            response = await http.post(url, json=body)
        except httpx.HTTPError as error:
            outcomes[f"failed:{type(error).__name__}"] += 1
            continue
        elapsed_ms = (time.perf_counter() - start) * 1000
        if response.status_code == 200:
            if _is_chat_answer(response):
                outcomes["ok"] += 1
                latencies_ms.append(elapsed_ms)
            else:
                outcomes["failed:HTTP 200 without a chat answer"] += 1
        elif response.status_code == 429:
            outcomes["rate_limited"] += 1
        elif response.status_code == 503:
            outcomes["overloaded"] += 1
        else:
            outcomes[f"failed:HTTP {response.status_code}"] += 1


async def _run(base_url: str, questions: list[str], clients: int, duration_s: float,
               max_requests_per_client: int, timeout_s: float) -> LoadResult:
    latencies_ms: list[float] = []
    outcomes: Counter[str] = Counter()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base_url, timeout=timeout_s, limits=limits) as http:
        start = time.perf_counter()
        deadline = start + duration_s
        await asyncio.gather(*(
            _client(http, CHAT_PATH, questions, n, deadline, max_requests_per_client, latencies_ms, outcomes)
            for n in range(clients)
        ))
        elapsed = time.perf_counter() - start
    failure_kinds = {kind.split(":", 1)[1]: count for kind, count in outcomes.items() if kind.startswith("failed:")}
    return LoadResult(
        clients=clients,
        duration_s=round(elapsed, 2),
        requests=sum(outcomes.values()),
        ok=outcomes["ok"],
        rate_limited=outcomes["rate_limited"],
        overloaded=outcomes["overloaded"],
        failed=sum(failure_kinds.values()),
        throughput_rps=outcomes["ok"] / elapsed if elapsed > 0 else 0.0,
        p50_ms=percentile(latencies_ms, 50),
        p95_ms=percentile(latencies_ms, 95),
        p99_ms=percentile(latencies_ms, 99),
        failure_kinds=failure_kinds,
    )


def run_load(base_url: str, questions: list[str], clients: int, duration_s: float = 20.0,
             max_requests_per_client: int = 1000, timeout_s: float = 10.0) -> LoadResult:
    """Each client sends questions back to back until the deadline or its request budget, then stops."""
    if not questions:
        raise ValueError("load needs at least one question")
    return asyncio.run(_run(base_url, questions, clients, duration_s, max_requests_per_client, timeout_s))
