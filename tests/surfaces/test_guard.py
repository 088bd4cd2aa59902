"""Hostile input over real HTTP: oversize bodies, floods, overload; tight limits with the fake bot, then
the same on the live server with the real bot."""
from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.surfaces.guard import TokenBuckets
from tests.surfaces.conftest import LIVE_MAX_IN_FLIGHT, LIVE_RATE_LIMIT, FakeBot, make_app, serve_in_thread
from tests.surfaces.serving import ManualClock, address, guard_of, wait_until

QUESTION = {"messages": [{"role": "user", "content": "升级服务包含什么？"}]}


def post(url: str, **kwargs: object) -> httpx.Response:
    return httpx.post(f"{url}/v1/chat/completions", timeout=30, **kwargs)


def test_buckets_refill_over_time() -> None:
    buckets = TokenBuckets(per_minute=60)
    assert all(buckets.take("a", now=100.0) == 0 for _ in range(60))
    wait = buckets.take("a", now=100.0)
    assert 0 < wait <= 1.0
    assert buckets.take("b", now=100.0) == 0  # other clients are unaffected
    assert buckets.take("a", now=101.5) == 0


@pytest.fixture(scope="module")
def small_limits(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    app = make_app(FakeBot(), tmp_path_factory.mktemp("guard"), max_request_bytes=4096, rate_limit_per_minute=1000)
    with serve_in_thread(app) as url:
        yield url


def test_oversize_body_is_413(small_limits: str) -> None:
    response = post(small_limits, json={"messages": [{"role": "user", "content": "升" * 5000}]})
    assert response.status_code == 413
    assert "4096 bytes" in response.json()["error"]["message"]


def test_oversize_chunked_body_without_length_is_413(small_limits: str) -> None:
    def body() -> Iterator[bytes]:
        yield b'{"messages": [{"role": "user", "content": "'
        for _ in range(10):
            yield b"x" * 1000
        yield b'"}]}'

    response = post(small_limits, content=body(), headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_oversize_posts_to_the_gradio_pages_are_413_too(small_limits: str) -> None:
    response = httpx.post(f"{small_limits}/gradio_api/queue/join", content=b"x" * 5000,
                          headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_body_under_the_limit_is_answered(small_limits: str) -> None:
    assert post(small_limits, json=QUESTION).status_code == 200


def test_flooding_client_gets_429_with_retry_after(tmp_path: Path) -> None:
    app = make_app(FakeBot(), tmp_path, rate_limit_per_minute=5)
    clock = guard_of(app).clock = ManualClock()
    with serve_in_thread(app) as url:
        statuses = [post(url, json=QUESTION) for _ in range(6)]
        assert [r.status_code for r in statuses] == [200] * 5 + [429]
        limited = statuses[-1]
        assert int(limited.headers["retry-after"]) == 12  # a token every 60 / 5 s
        assert limited.json()["error"]["code"] == "rate_limit_exceeded"
        assert httpx.get(f"{url}/healthz").status_code == 200  # health checks are never limited
        clock.now += 12
        assert post(url, json=QUESTION).status_code == 200


def test_overload_sheds_with_503_instead_of_queueing(tmp_path: Path) -> None:
    app = make_app(FakeBot(delay=1.0), tmp_path, max_in_flight=2)
    with serve_in_thread(app) as url, ThreadPoolExecutor(max_workers=8) as pool:
        statuses = sorted(r.status_code for r in pool.map(lambda _: post(url, json=QUESTION), range(8)))
        assert statuses.count(200) >= 2
        assert statuses.count(503) >= 4
        assert set(statuses) <= {200, 503}
        assert post(url, json=QUESTION).status_code == 200  # recovers once the burst is over


class PeakCountingBot(FakeBot):
    """Records how many answers were being computed at the same time."""

    def __init__(self, delay: float) -> None:
        super().__init__(delay=delay)
        self.running = self.peak = 0
        self._lock = threading.Lock()

    def ask(self, question: str, history: list[Any] | None = None) -> Any:
        with self._lock:
            self.running += 1
            self.peak = max(self.peak, self.running)
        try:
            return super().ask(question, history)
        finally:
            with self._lock:
                self.running -= 1


def test_answers_queue_for_a_few_workers_instead_of_failing(tmp_path: Path) -> None:
    bot = PeakCountingBot(delay=0.2)
    app = make_app(bot, tmp_path, answer_workers=2, max_in_flight=8)
    with serve_in_thread(app) as url, ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(lambda _: post(url, json=QUESTION).status_code, range(6)))
    assert statuses == [200] * 6
    assert bot.peak == 2


def test_a_body_that_never_arrives_times_out_and_frees_its_slot(tmp_path: Path) -> None:
    app = make_app(FakeBot(), tmp_path, max_in_flight=1, body_timeout_seconds=2)
    guard = guard_of(app)
    with serve_in_thread(app) as url:
        with socket.create_connection(address(url)) as stalled:
            stalled.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                            b"Content-Length: 100\r\n\r\n{")
            wait_until(lambda: guard.in_flight == 1)  # the stalled client holds the only slot
            assert post(url, json=QUESTION).status_code == 503
            stalled.settimeout(20)
            assert stalled.recv(200).startswith(b"HTTP/1.1 408")
        assert guard.in_flight == 0
        assert post(url, json=QUESTION).status_code == 200


# -- the same protections on the live `kbbot serve` (real bot) ------------------------------------------

def test_live_server_rejects_an_oversize_body(live_server: str) -> None:
    response = post(live_server, json={"messages": [{"role": "user", "content": "升" * 400_000}]})
    assert response.status_code == 413
    assert "1048576 bytes" in response.json()["error"]["message"]


def test_live_server_rate_limits_one_flooding_client_only(live_server: str) -> None:
    flooder = httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2"), timeout=30)
    with flooder:
        statuses = []
        while len(statuses) < 2 * LIVE_RATE_LIMIT and 429 not in statuses:
            statuses.append(flooder.get(f"{live_server}/v1/models").status_code)
        limited = flooder.post(f"{live_server}/v1/chat/completions", json=QUESTION)
    assert statuses[-1] == 429 and set(statuses[:-1]) == {200}
    assert len(statuses) > LIVE_RATE_LIMIT  # the burst allowance, plus what refilled meanwhile
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    assert post(live_server, json=QUESTION).status_code == 200  # 127.0.0.1 still has its budget


def test_live_server_sheds_load_when_every_slot_is_taken(live_server: str) -> None:
    """Slow clients hold every in-flight slot (a declared body that never arrives); the next request
    gets 503 at once instead of queueing, and service resumes when they go away."""
    host, port = live_server.removeprefix("http://").split(":")
    slow_clients = []
    try:
        for _ in range(LIVE_MAX_IN_FLIGHT):
            sock = socket.create_connection((host, int(port)), source_address=("127.0.0.3", 0))
            sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         b"Content-Length: 1000\r\n\r\n{\"messages\": ")
            slow_clients.append(sock)
        shed = post(live_server, json=QUESTION)
        for _ in range(100):  # until the server has taken in every slow client (each probe answers at once)
            if shed.status_code == 503:
                break
            shed = post(live_server, json=QUESTION)
        assert shed.status_code == 503 and shed.json()["error"]["code"] == "overloaded"
        assert int(shed.headers["retry-after"]) >= 1
    finally:
        for sock in slow_clients:
            sock.close()
    wait_until(lambda: post(live_server, json=QUESTION).status_code == 200)
