"""`kbbot serve` as deployed: time to ready, memory after warm-up and after load, concurrent clients.

The server gets a per-client rate limit high enough that the load clients (all on 127.0.0.1, so one
"client" to the limiter) measure capacity, not the limiter; the in-flight cap keeps its default, so
load beyond it shows up as 503s, counted apart from failures.
"""
from __future__ import annotations

import statistics
from typing import TYPE_CHECKING

import httpx

from eval.bench.load import CHAT_PATH, LoadResult, run_load_in_own_process
from eval.bench.results import Measurement, Section, at_most, counted
from eval.bench.serving import Server, running_server
from eval.bench.stats import fmt

if TYPE_CHECKING:
    from eval.bench.context import BenchContext

BENCH_SERVER_ENV = {"KB_RATE_LIMIT_PER_MINUTE": "1000000"}
WARM_UP_REQUESTS = 20
TARGET_CLIENTS = 32


def warm_up(server: Server, questions: list[str]) -> None:
    """Sequential requests so that every lazy load happens before memory and load are measured."""
    with httpx.Client(base_url=server.base_url, timeout=60) as http:
        for question in questions[:WARM_UP_REQUESTS]:
            http.post(CHAT_PATH, json={"model": "kbbot", "messages": [{"role": "user", "content": question}]},
                      ).raise_for_status()


def _errors(result: LoadResult) -> int:
    return result.failed + result.rate_limited + result.overloaded


def serve_sections(context: BenchContext, clients: list[int], load_seconds: float, starts: int) -> list[Section]:
    env = {**context.env, **BENCH_SERVER_ENV}
    questions = [item.question for item in context.questions() if not item.history]
    ready_s = []
    for _ in range(starts - 1):
        with running_server(env) as server:
            ready_s.append(server.ready_s)
    with running_server(env) as server:
        ready_s.append(server.ready_s)
        warm_up(server, questions)
        rss_warm = server.rss_mb()
        loads = [run_load_in_own_process(server.base_url, questions, n, load_seconds) for n in clients]
        rss_after = server.rss_mb()
        serve_command = server.command

    env_text = " ".join(f"{name}={value}" for name, value in BENCH_SERVER_ENV.items())
    ready_command = f"{env_text} {serve_command}"
    load_command = context.command("serve", "--clients", ",".join(map(str, clients)), "--load-seconds",
                                   f"{load_seconds:g}")
    serve = Section(
        title="Serving: time to ready and memory",
        command=ready_command,
        measurements=[
            Measurement(name="`kbbot serve` time to ready, median", value=statistics.median(ready_s), unit="s",
                        command=ready_command,
                        note=counted(starts, "start") + ", spawn to first 200 from GET /healthz"),
            at_most("server RSS after warm-up", rss_warm, 500, "MiB", load_command,
                    note=f"{WARM_UP_REQUESTS} sequential chat requests; process and children"),
            at_most("server RSS after load", rss_after, 500, "MiB", load_command,
                    note="after every load level below"),
        ],
        columns=["start", "seconds to ready"],
        rows=[[str(n), f"{seconds:.2f}"] for n, seconds in enumerate(ready_s, 1)],
        notes=["Time to ready: from spawning the process to the first 200 from `GET /healthz`, polled every 50 ms.",
               "RSS is read with psutil from the server process and its children."],
    )
    load = Section(
        title="Load: concurrent clients on POST /v1/chat/completions",
        command=load_command,
        measurements=_target_measurements(loads, load_command),
        columns=["clients", "seconds", "requests", "ok", "429", "503", "failed", "answers/s", "p50 ms", "p95 ms",
                 "p99 ms"],
        rows=[[str(r.clients), f"{r.duration_s:.1f}", str(r.requests), str(r.ok), str(r.rate_limited),
               str(r.overloaded), str(r.failed) + (f" ({r.failure_kinds})" if r.failure_kinds else ""),
               f"{r.throughput_rps:.1f}", fmt(r.p50_ms), fmt(r.p95_ms), fmt(r.p99_ms)] for r in loads],
        notes=[f"Server configured for the benchmark with {env_text} (the load clients all come from 127.0.0.1, "
               "one client to the per-client limiter); the in-flight cap keeps its default (`KB_MAX_IN_FLIGHT`), "
               "so clients beyond it get 503; answers are computed by `KB_ANSWER_WORKERS` threads, first come first "
               "served.",
               f"Each client (aiohttp, asyncio, one fresh process for all) sends single-turn questions of the set back to "
               f"back for {load_seconds:g} s or 1,000 requests, whichever comes first, and after a 429 or 503 waits "
               "as its Retry-After asks; latencies are over 200 answers only.",
               f"The set has {len(questions)} single-turn questions, so under load each is asked many times and "
               "repeats reuse the server's in-process caches (e.g. query embeddings), as popular questions do in "
               "production; the warm answer benchmark times each question about once.",
               "The load generator runs on the same cores as the server: the throughput is a lower bound and "
               "the latencies an upper bound of what the server alone would do."],
    )
    return [serve, load]


def _target_measurements(loads: list[LoadResult], command: str) -> list[Measurement]:
    at_target = next((r for r in loads if r.clients == TARGET_CLIENTS), None)
    if at_target is None:
        return []
    return [
        at_most(f"{TARGET_CLIENTS} clients: errors (failed + 429 + 503)", _errors(at_target), 0, "", command,
                note=f"{at_target.requests} requests"),
        at_most(f"{TARGET_CLIENTS} clients: p95", at_target.p95_ms, 300, "ms", command),
    ]
