"""Limits on every route and every connection (#13 findings 4, 5, 11, 12), over real HTTP on loopback.

The app (fake bot) is served with `kbbot serve`'s own uvicorn configuration; a few tests run `kbbot
serve` itself (real bot, fake embedder) to show the environment reaches the server. Each test that
counts against a per-client limit comes from its own loopback address, so tests do not share budgets.
"""
from __future__ import annotations

import asyncio
import io
import selectors
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from fastapi.routing import APIRoute
from starlette.background import BackgroundTask
from starlette.responses import StreamingResponse

from bot.surfaces.guard import RequestGuard
from bot.surfaces.serve import MAX_LOG_LINE_CHARS, CappedLines
from bot.surfaces.settings import ServeSettings
from tests.surfaces.conftest import FakeBot, kbbot_serve, make_app, serve_env, serve_in_thread
from tests.surfaces.serving import ManualClock, address, closed_by_server, guard_of, wait_until

QUESTION = {"messages": [{"role": "user", "content": "升级服务包含什么？"}]}
LIMITS = {"max_request_bytes": 4096, "rate_limit_per_minute": 5, "body_timeout_seconds": 1}



def _readable(sock: socket.socket, timeout: float) -> bool:
    """select() with epoll: the whole suite holds more than 1,024 descriptors, past select.select's range."""
    with selectors.DefaultSelector() as selector:
        selector.register(sock, selectors.EVENT_READ)
        return bool(selector.select(timeout))

def client_from(source: str) -> httpx.Client:
    return httpx.Client(transport=httpx.HTTPTransport(local_address=source), timeout=30)


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    """Small limits and a clock that stands still, so a rate limit is exactly its burst."""
    app = make_app(FakeBot(), tmp_path_factory.mktemp("limits"), **LIMITS)
    guard_of(app).clock = ManualClock()
    with serve_in_thread(app, ServeSettings(**LIMITS)) as url:
        yield url, app


def chunked(size: int) -> Iterator[bytes]:
    """A JSON body of about `size` bytes sent without a Content-Length (chunked)."""
    yield b'{"data": ["'
    for _ in range(size // 1000):
        yield b"x" * 1000
    yield b'"], "fn_index": 0, "session_hash": "s"}'


# -- finding 4: one limit layer in front of every route ------------------------------------------------

@pytest.mark.parametrize(("path", "source"), [
    ("/gradio_api/queue/join", "127.0.1.1"),
    ("/gradio_api/run/chat", "127.0.1.2"),
    ("/gradio_api/call/chat", "127.0.1.3"),
    ("/widget/gradio_api/queue/join", "127.0.1.4"),
    ("/staff/gradio_api/queue/join", "127.0.1.5"),
])
def test_gradio_routes_refuse_an_oversize_chunked_body(limited: tuple[str, Any], path: str, source: str) -> None:
    url, _ = limited
    with client_from(source) as http:
        response = http.post(f"{url}{path}", content=chunked(100_000), headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert "4096 bytes" in response.json()["error"]["message"]


def test_gradio_routes_count_against_the_clients_rate_limit(limited: tuple[str, Any]) -> None:
    url, _ = limited
    with client_from("127.0.1.10") as http:
        statuses = [http.post(f"{url}/gradio_api/call/chat", json={"data": ["升级服务包含什么？", []]}).status_code
                    for _ in range(LIMITS["rate_limit_per_minute"] + 1)]
        assert statuses == [200] * LIMITS["rate_limit_per_minute"] + [429]
        limited_api = http.post(f"{url}/v1/chat/completions", json=QUESTION)  # one budget per client
        assert limited_api.status_code == 429 and int(limited_api.headers["retry-after"]) >= 1
        assert http.get(f"{url}/").status_code == 200  # reading the page costs nothing
        assert http.get(f"{url}/healthz").status_code == 200
    with client_from("127.0.1.11") as other:
        assert other.post(f"{url}/gradio_api/call/chat", json={"data": ["升级服务", []]}).status_code == 200


@pytest.mark.parametrize("path", ["/gradio_api/upload", "/widget/gradio_api/upload", "/gradio_api/process_recording"])
def test_the_customer_app_has_no_upload_route(limited: tuple[str, Any], path: str) -> None:
    url, _ = limited
    with client_from("127.0.1.20") as http:
        response = http.post(f"{url}{path}", files={"files": ("note.txt", b"hello")})
    assert response.status_code == 404


def test_the_staff_app_keeps_its_upload_with_the_upload_limit(limited: tuple[str, Any]) -> None:
    url, _ = limited
    with client_from("127.0.1.21") as http:
        response = http.post(f"{url}/staff/gradio_api/upload", files={"files": ("set.jsonl", b"x" * 10_000)})
    assert response.status_code == 200  # above the 4096-byte request limit, within the upload limit
    assert response.json()[0].endswith("set.jsonl")


def post_head(path: str, length: int) -> bytes:
    return (f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {length}\r\n\r\n").encode()


def test_a_stalled_body_on_a_gradio_route_gets_408(limited: tuple[str, Any]) -> None:
    url, _ = limited
    with socket.create_connection(address(url), source_address=("127.0.1.30", 0)) as stalled:
        stalled.sendall(post_head("/gradio_api/queue/join", 100) + b"{")
        stalled.settimeout(20)
        assert stalled.recv(200).startswith(b"HTTP/1.1 408")


def test_a_body_sent_a_byte_at_a_time_is_cut_at_the_body_timeout(limited: tuple[str, Any]) -> None:
    url, _ = limited
    with socket.create_connection(address(url), source_address=("127.0.1.31", 0)) as trickle:
        trickle.sendall(post_head("/gradio_api/queue/join", 1000))
        answered = b""
        for _ in range(200):  # at most 200 bytes, one each time the server has said nothing for 0.1 s
            readable = _readable(trickle, 0.1)
            if readable:
                answered = trickle.recv(200)
                break
            trickle.sendall(b" ")
        assert answered.startswith(b"HTTP/1.1 408")


def test_server_output_lines_are_cut() -> None:
    sink = io.StringIO()
    stream = CappedLines(sink, limit=10)
    stream.write("short\n")
    stream.write("0123456789abcdef\nnext ")
    stream.write("line goes on and on\n")
    assert sink.getvalue() == f"short\n0123456789{CappedLines.MARK}\nnext line {CappedLines.MARK}\n"


# -- finding 5: slow and piled-up connections ----------------------------------------------------------

@pytest.fixture(scope="module")
def connection_limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings = ServeSettings(header_timeout_seconds=1, keep_alive_seconds=1, max_connections=30,
                             max_connections_per_client=5)
    app = make_app(FakeBot(), tmp_path_factory.mktemp("connections"))
    with serve_in_thread(app, settings) as url:
        yield url


def test_a_request_head_sent_a_byte_at_a_time_is_cut_off(connection_limited: str) -> None:
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"X-Slow: " + b"a" * 400 + b"\r\n\r\n"
    with socket.create_connection(address(connection_limited), source_address=("127.0.2.1", 0)) as slow:
        closed = False
        for byte in head:  # one byte each time the server has been silent for 0.1 s: 40 s for the whole head
            readable = _readable(slow, 0.1)
            if readable and slow.recv(100) == b"":
                closed = True
                break
            slow.sendall(bytes([byte]))
        assert closed


def test_a_connection_that_never_sends_is_closed(connection_limited: str) -> None:
    with socket.create_connection(address(connection_limited), source_address=("127.0.2.2", 0)) as idle:
        assert closed_by_server(idle, timeout=20)


def test_an_idle_keep_alive_connection_is_closed(connection_limited: str) -> None:
    with socket.create_connection(address(connection_limited), source_address=("127.0.2.3", 0)) as kept:
        kept.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        kept.settimeout(20)
        assert kept.recv(4096).startswith(b"HTTP/1.1 200")
        assert closed_by_server(kept, timeout=20)


def test_an_oversize_request_head_gets_431(connection_limited: str) -> None:
    with socket.create_connection(address(connection_limited), source_address=("127.0.2.4", 0)) as big:
        big.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"X-Big: " + b"a" * 40_000)
        big.settimeout(20)
        assert big.recv(200).startswith(b"HTTP/1.1 431")


@pytest.fixture(scope="module")
def patient_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Connection caps with a head timeout long enough that no connection of a test closes by itself."""
    settings = ServeSettings(header_timeout_seconds=120, max_connections=12, max_connections_per_client=4)
    with serve_in_thread(make_app(FakeBot(), tmp_path_factory.mktemp("patient")), settings) as url:
        yield url


def test_one_client_cannot_take_every_connection(patient_server: str) -> None:
    hogs = [socket.create_connection(address(patient_server), source_address=("127.0.3.1", 0)) for _ in range(7)]
    try:
        for refused in hogs[4:]:
            refused.settimeout(20)
            assert refused.recv(200).startswith(b"HTTP/1.1 503")
        assert httpx.get(f"{patient_server}/healthz", timeout=30).status_code == 200  # others still get in
    finally:
        for sock in hogs:
            sock.close()


def test_the_server_holds_at_most_its_connection_cap(patient_server: str) -> None:
    held = [socket.create_connection(address(patient_server), source_address=(f"127.0.3.{10 + n}", 0))
            for n in range(12)]
    try:
        with socket.create_connection(address(patient_server), source_address=("127.0.3.30", 0)) as extra:
            extra.settimeout(20)
            assert extra.recv(200).startswith(b"HTTP/1.1 503")
    finally:
        for sock in held:
            sock.close()
    wait_until(lambda: httpx.get(f"{patient_server}/healthz", timeout=30).status_code == 200)


# -- finding 11: a finished stream frees its slot ------------------------------------------------------

def test_the_slot_is_free_once_the_last_byte_is_sent() -> None:
    """ASGI level: the guard's count, read by the app right after it sent its last chunk."""
    seen: list[int] = []
    guard: RequestGuard

    async def streaming_app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"data: [DONE]\n\n", "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        seen.append(guard.in_flight)  # e.g. sse-starlette still winding down its task group

    guard = RequestGuard(streaming_app, max_request_bytes=1024, rate_limit_per_minute=60, max_in_flight=1)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        pass

    scope = {"type": "http", "path": "/v1/chat/completions", "method": "POST", "headers": [], "client": ("c", 1)}
    asyncio.run(guard(scope, receive, send))
    assert seen == [0] and guard.in_flight == 0


def test_a_finished_stream_does_not_hold_its_slot_over_http(tmp_path: Path) -> None:
    """One slot; a stream that has sent everything but whose app has not returned yet (a background task
    is still running) must not turn the next request away."""
    app = make_app(FakeBot(), tmp_path, max_in_flight=1)
    done = threading.Event()

    async def linger() -> None:
        while not done.is_set():
            await anyio.sleep(0.01)

    def stream() -> StreamingResponse:
        return StreamingResponse(iter([b"data: [DONE]\n\n"]), media_type="text/event-stream",
                                 background=BackgroundTask(linger))

    app.router.routes.insert(0, APIRoute("/v1/linger", stream, methods=["POST"]))
    with serve_in_thread(app, ServeSettings(max_in_flight=1)) as url:
        try:
            with httpx.stream("POST", f"{url}/v1/linger", timeout=30) as first:
                assert first.read() == b"data: [DONE]\n\n"  # the whole response, its end included
            assert guard_of(app).in_flight == 0
            assert httpx.post(f"{url}/v1/chat/completions", json=QUESTION, timeout=30).status_code == 200
        finally:
            done.set()


# -- finding 12: X-Forwarded-For only from trusted proxies ----------------------------------------------

def test_forwarded_addresses_count_only_from_a_trusted_proxy(tmp_path: Path) -> None:
    settings = {"rate_limit_per_minute": 2}
    app = make_app(FakeBot(), tmp_path, **settings)
    guard_of(app).clock = ManualClock()
    with serve_in_thread(app, ServeSettings(**settings, trusted_proxies=["127.0.4.1"])) as url:
        with client_from("127.0.4.1") as proxy:  # the trusted proxy: each forwarded client has its own budget
            for client in ("198.51.100.1", "198.51.100.2", "198.51.100.3"):
                response = proxy.post(f"{url}/v1/chat/completions", json=QUESTION,
                                      headers={"x-forwarded-for": client})
                assert response.status_code == 200
        with client_from("127.0.4.2") as rotating:  # anyone else: the header is ignored
            statuses = [rotating.post(f"{url}/v1/chat/completions", json=QUESTION,
                                      headers={"x-forwarded-for": f"203.0.113.{n}"}).status_code for n in range(3)]
        assert statuses == [200, 200, 429]
    sessions = {exchange.session for exchange in app.state.logbook.recent()}
    assert sessions == {"198.51.100.1", "198.51.100.2", "198.51.100.3", "127.0.4.2"}


# -- the same through `kbbot serve` itself --------------------------------------------------------------

@pytest.fixture(scope="module")
def tight_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    home = tmp_path_factory.mktemp("tight_serve")
    env = serve_env(home, KB_EMBEDDINGS="fake", KB_RATE_LIMIT_PER_MINUTE="3", KB_HEADER_TIMEOUT_SECONDS="1",
                    KB_BODY_TIMEOUT_SECONDS="1")
    with kbbot_serve(env, home / "serve.log") as url:
        yield url, home / "serve.log"


def test_kbbot_serve_ignores_forwarded_for_from_loopback(tight_server: tuple[str, Path]) -> None:
    """uvicorn believes X-Forwarded-For from 127.0.0.1 by default: a client on the same host could claim a
    new address with every request and never be rate limited."""
    url, _ = tight_server
    with client_from("127.0.0.1") as rotating:
        statuses = [rotating.get(f"{url}/v1/models", headers={"x-forwarded-for": f"203.0.113.{n}"}).status_code
                    for n in range(4)]
    assert statuses[-1] == 429


def test_kbbot_serve_cuts_off_a_slow_request_head(tight_server: tuple[str, Path]) -> None:
    url, _ = tight_server
    with socket.create_connection(address(url), source_address=("127.0.5.2", 0)) as slow:
        slow.sendall(b"GET /healthz HTTP/1.1\r\n")
        closed = False
        for _ in range(400):  # a header byte each time the server has been silent for 0.1 s
            readable = _readable(slow, 0.1)
            if readable and slow.recv(100) == b"":
                closed = True
                break
            slow.sendall(b"X")
        assert closed


def test_kbbot_serve_writes_no_client_input_whole_to_its_log(tight_server: tuple[str, Path]) -> None:
    """Gradio prints a failed event's inputs: a 300,000-character value is one short line of the log."""
    url, log = tight_server
    payload = {"data": ["y" * 300_000], "fn_index": 0, "session_hash": "capped-log"}
    with client_from("127.0.5.3") as http:
        assert http.post(f"{url}/gradio_api/queue/join", json=payload).status_code == 200
    wait_until(lambda: "yyyyyyyyyy" in log.read_text(errors="replace"))
    assert max(len(line) for line in log.read_text(errors="replace").splitlines()) <= \
        MAX_LOG_LINE_CHARS + len(CappedLines.MARK)
