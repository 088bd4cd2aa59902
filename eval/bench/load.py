"""N concurrent chat clients against a live `/v1/chat/completions`, each bounded in time and count.

Rate-limited (429) and overloaded (503) answers are counted apart from failures: they are the
server protecting itself, not breaking. Latency percentiles are over successful answers only.

aiohttp rather than httpx: the load generator shares the server's two cores, and at 64 clients httpx's
client took a whole core (the server got 67 %), aiohttp about a seventh of one.
"""
from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping

import aiohttp
from pydantic import BaseModel

from eval.bench.stats import percentile

CHAT_PATH = "/v1/chat/completions"
Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


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


def _is_chat_answer(body: bytes) -> bool:
    """A 200 only counts when it carries an OpenAI-style message: a blank 200 is a failure."""
    try:
        return isinstance(json.loads(body)["choices"][0]["message"]["content"], str)
    except (ValueError, KeyError, IndexError, TypeError):
        return False


def _retry_after(headers: Mapping[str, str]) -> float:
    try:
        return float(headers.get("Retry-After", 0))
    except ValueError:
        return 0.0


async def _client(http: aiohttp.ClientSession, url: str, questions: list[str], offset: int, deadline: float,
                  max_requests: int, latencies_ms: list[float], outcomes: Counter[str], clock: Clock,
                  sleep: Sleep) -> None:
    """Sends back to back; after a 429 or 503 it waits as Retry-After asks (as OpenAI's SDKs do), so
    shed load is not immediately resent in a tight loop."""
    for i in range(max_requests):
        if clock() >= deadline:
            return
        body = {"model": "kbbot", "messages": [{"role": "user", "content": questions[(offset + i) % len(questions)]}]}
        start = clock()
        try:
            async with http.post(url, json=body) as response:
                data = await response.read()
                status, wait = response.status, _retry_after(response.headers)
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            outcomes[f"failed:{type(error).__name__}"] += 1
            continue
        elapsed_ms = (clock() - start) * 1000
        if status == 200 and _is_chat_answer(data):
            outcomes["ok"] += 1
            latencies_ms.append(elapsed_ms)
        elif status == 200:
            outcomes["failed:HTTP 200 without a chat answer"] += 1
        elif status in (429, 503):
            outcomes["rate_limited" if status == 429 else "overloaded"] += 1
            await sleep(max(0.0, min(wait, deadline - clock())))
        else:
            outcomes[f"failed:HTTP {status}"] += 1


async def _run(base_url: str, questions: list[str], clients: int, duration_s: float,
               max_requests_per_client: int, timeout_s: float, clock: Clock, sleep: Sleep) -> LoadResult:
    latencies_ms: list[float] = []
    outcomes: Counter[str] = Counter()
    connector = aiohttp.TCPConnector(limit=clients)
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    async with aiohttp.ClientSession(base_url=base_url, connector=connector, timeout=timeout) as http:
        start = clock()
        deadline = start + duration_s
        await asyncio.gather(*(
            _client(http, CHAT_PATH, questions, n, deadline, max_requests_per_client, latencies_ms, outcomes, clock,
                    sleep)
            for n in range(clients)
        ))
        elapsed = clock() - start
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
             max_requests_per_client: int = 1000, timeout_s: float = 10.0, *, clock: Clock = time.perf_counter,
             sleep: Sleep = asyncio.sleep) -> LoadResult:
    """Each client sends questions back to back until the deadline or its request budget, then stops.
    `clock` and `sleep` are the load's time (tests pass a virtual one)."""
    if not questions:
        raise ValueError("load needs at least one question")
    return asyncio.run(_run(base_url, questions, clients, duration_s, max_requests_per_client, timeout_s, clock,
                            sleep))


def run_load_in_own_process(base_url: str, questions: list[str], clients: int, duration_s: float = 20.0,
                            max_requests_per_client: int = 1000) -> LoadResult:
    """`run_load` in a fresh interpreter: after a 20,000-entry ingest in the bench process, clients in
    that process measured 144 answers/s where a run of its own measured 194."""
    if not questions:
        raise ValueError("load needs at least one question")
    with tempfile.NamedTemporaryFile("w", suffix=".json", encoding="utf-8") as questions_file:
        json.dump(questions, questions_file, ensure_ascii=False)
        questions_file.flush()
        done = subprocess.run(
            [sys.executable, "-m", "eval.bench.load", base_url, questions_file.name, str(clients), str(duration_s),
             str(max_requests_per_client)],
            capture_output=True, text=True, check=True, timeout=duration_s + 120,
        )
    return LoadResult.model_validate_json(done.stdout)


if __name__ == "__main__":
    url, questions_path, clients_text, seconds_text, max_requests_text = sys.argv[1:6]
    with open(questions_path, encoding="utf-8") as source:
        loaded = json.load(source)
    print(run_load(url, loaded, int(clients_text), float(seconds_text), int(max_requests_text)).model_dump_json())
