from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler

import pytest

from eval.bench.load import run_load, run_load_in_own_process

# The tiny server answers by the question it gets, so each outcome class is exercised on purpose.
STATUS_BY_QUESTION = {"ok": 200, "limit": 429, "busy": 503, "broken": 500, "blank": 200, "busy for a second": 503}


class ChatHandler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        question = body["messages"][-1]["content"]
        status = STATUS_BY_QUESTION[question]
        payload = {} if question == "blank" else {"choices": [{"message": {"role": "assistant", "content": "hi"}}]}
        data = json.dumps(payload).encode()
        self.send_response(status if self.path == "/v1/chat/completions" else 404)
        self.send_header("Content-Type", "application/json")
        if question == "busy for a second":
            self.send_header("Retry-After", "1")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def chat_server(local_http_server) -> str:
    return local_http_server(ChatHandler)


class VirtualTime:
    """The load's time, moved by the test: `tick` seconds pass at every reading of the clock, and a
    client's sleep passes at once."""

    def __init__(self, tick: float = 0.0) -> None:
        self.now, self.tick = 0.0, tick
        self.sleeps: list[float] = []

    def clock(self) -> float:
        self.now += self.tick
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_outcomes_are_counted_apart(chat_server: str) -> None:
    questions = ["ok", "limit", "busy", "broken", "blank"]
    result = run_load(chat_server, questions, clients=5, duration_s=30, max_requests_per_client=5)

    assert result.requests == 25
    assert (result.ok, result.rate_limited, result.overloaded) == (5, 5, 5)
    assert result.failed == 10
    assert result.failure_kinds == {"HTTP 500": 5, "HTTP 200 without a chat answer": 5}
    assert result.p50_ms is not None and result.p50_ms <= result.p95_ms <= result.p99_ms
    assert result.throughput_rps > 0


def test_clients_stop_at_the_deadline(chat_server: str) -> None:
    time = VirtualTime(tick=0.1)
    result = run_load(chat_server, ["ok"], clients=3, duration_s=1.0, max_requests_per_client=10**9,
                      clock=time.clock, sleep=time.sleep)

    assert result.duration_s >= 1.0
    assert 3 <= result.ok == result.requests <= 10  # each request reads the clock at least once


def test_refused_connections_are_failures() -> None:
    from eval.bench.serving import free_port

    result = run_load(f"http://127.0.0.1:{free_port()}", ["ok"], clients=2, duration_s=30, max_requests_per_client=2)

    assert result.failed == result.requests == 4
    assert result.ok == 0 and result.p95_ms is None
    assert set(result.failure_kinds) == {"ClientConnectorError"}


def test_shed_clients_wait_as_retry_after_asks(chat_server: str) -> None:
    time = VirtualTime()
    result = run_load(chat_server, ["busy for a second"], clients=1, duration_s=1.5, max_requests_per_client=100,
                      clock=time.clock, sleep=time.sleep)

    assert result.overloaded == result.requests == 2  # at 0 s and after the one-second wait
    assert time.sleeps == [1.0, 0.5]  # as Retry-After asks, then only until the deadline
    assert result.failed == 0


def test_no_questions_is_refused() -> None:
    with pytest.raises(ValueError):
        run_load("http://127.0.0.1:1", [], clients=1)


def test_load_in_its_own_process_reports_the_same_outcomes(chat_server: str) -> None:
    result = run_load_in_own_process(chat_server, ["ok", "busy"], clients=2, duration_s=30, max_requests_per_client=4)

    assert (result.requests, result.ok, result.overloaded, result.failed) == (8, 4, 4, 0)
