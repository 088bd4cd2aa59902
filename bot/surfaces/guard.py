"""One limit layer in front of every route: the API, the chat pages and their Gradio routes, the staff app.

- the request body: at most `max_request_bytes`, counted as it arrives (a declared Content-Length or a
  chunked body alike), and all of it within `body_timeout_s`;
- a per-client rate limit on every request that makes the server work (the API, and anything but reading
  pages, assets and the event streams of work already counted);
- a bounded number of API requests in flight (being answered or waiting for a worker): beyond it 503;
- no file upload route outside the staff app: the customer chat has no file input.

A pure ASGI middleware, so it rejects an oversize body before more than the limit is held, and it sees
a streamed response end: an API request frees its slot when its last byte is sent.
"""
from __future__ import annotations

import asyncio
import json
import math
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class TokenBuckets:
    """Per-client token buckets: `per_minute` requests a minute, bursts up to the same number."""

    def __init__(self, per_minute: int, max_clients: int = 10_000) -> None:
        self.capacity = float(per_minute)
        self.refill_per_second = per_minute / 60.0
        self.max_clients = max_clients
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, client: str, now: float | None = None) -> float:
        """0 when the request may proceed, else the seconds to wait before retrying."""
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.get(client, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.refill_per_second)
            if tokens >= 1.0:
                self._remember(client, tokens - 1.0, now)
                return 0.0
            self._remember(client, tokens, now)
            return (1.0 - tokens) / self.refill_per_second

    def _remember(self, client: str, tokens: float, now: float) -> None:
        if client not in self._buckets and len(self._buckets) >= self.max_clients:
            # Forget full buckets first: they carry no state worth keeping.
            full = [key for key, (t, last) in self._buckets.items()
                    if t + (now - last) * self.refill_per_second >= self.capacity]
            for key in full or list(self._buckets)[: len(self._buckets) // 2]:
                del self._buckets[key]
        self._buckets[client] = (tokens, now)


# Gradio routes that store what the client sends as a file; only the staff app (question-set upload) has one.
UPLOAD_ROUTES = ("/gradio_api/upload", "/gradio_api/process_recording", "/gradio_api/stream/")
# Staff uploads: Gradio's own file limit is 5 MB (web.py), and the body also carries the multipart framing.
MAX_UPLOAD_BYTES = 6 * 1024 * 1024
# Reading a page, an asset or the event stream of a request already counted costs next to nothing.
UNCOUNTED_METHODS = ("GET", "HEAD", "OPTIONS")


class RequestGuard:
    """The limits above; `clock` is injectable so tests control the rate limiter's time."""

    def __init__(self, app: ASGIApp, *, max_request_bytes: int, rate_limit_per_minute: int, max_in_flight: int,
                 body_timeout_s: float = 10.0, api_prefixes: tuple[str, ...] = ("/v1/",),
                 upload_prefixes: tuple[str, ...] = ("/staff/",), clock: Callable[[], float] = time.monotonic) -> None:
        self.app = app
        self.max_request_bytes = max_request_bytes
        self.body_timeout_s = body_timeout_s
        self.buckets = TokenBuckets(rate_limit_per_minute)
        self.max_in_flight = max_in_flight
        self.api_prefixes = api_prefixes
        self.upload_prefixes = upload_prefixes
        self.clock = clock
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        is_api = path.startswith(self.api_prefixes)
        limit = self.max_request_bytes
        if any(route in path for route in UPLOAD_ROUTES):
            if not path.startswith(self.upload_prefixes):
                await _reject(send, 404, "Not found.", "not_found")
                return
            limit = max(limit, MAX_UPLOAD_BYTES)
        if is_api or scope["method"] not in UNCOUNTED_METHODS:
            client = (scope.get("client") or ("unknown", 0))[0]
            wait = self.buckets.take(client, now=self.clock())
            if wait > 0:
                await _reject(send, 429, "Too many requests from this client; please retry later.",
                              "rate_limit_exceeded", retry_after=wait)
                return
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _reject(send, 413, _too_large(limit), "request_too_large")
            return
        if not is_api:
            await self._forward(scope, receive, send, limit)
            return
        if self.in_flight >= self.max_in_flight:
            await _reject(send, 503, "The server is busy; please retry in a moment.", "overloaded", retry_after=1)
            return
        self.in_flight += 1
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                self.in_flight -= 1

        async def send_and_release(message: Message) -> None:
            # The slot is free once the last byte is handed over, not when the app returns: a finished
            # stream still winds down its tasks, and its client's next request must find the slot free.
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                release()
            await send(message)

        try:
            await self._forward(scope, receive, send_and_release, limit)
        finally:
            release()

    async def _forward(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        """The app gets the whole body at once, or the client gets 408/413."""
        try:
            body = await asyncio.wait_for(_read_body(receive, limit), self.body_timeout_s)
        except asyncio.TimeoutError:
            # A client that declares a body and never sends it (or sends a byte now and then) must not
            # hold memory, a slot or a connection for long.
            await _reject(send, 408, "The request body did not arrive in time.", "request_timeout")
            return
        if body is None:
            await _reject(send, 413, _too_large(limit), "request_too_large")
            return
        await self.app(scope, _replay(body, receive), send)


def _too_large(limit: int) -> str:
    return f"Request body too large; the limit is {limit} bytes."


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole body, or None as soon as it exceeds the limit (chunked bodies included)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _reject(send: Send, status: int, message: str, code: str, retry_after: float | None = None) -> None:
    body = json.dumps({"error": {"message": message, "type": "invalid_request_error" if status < 500 else
                                 "server_error", "param": None, "code": code}}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if retry_after is not None:
        headers.append((b"retry-after", str(max(1, math.ceil(retry_after))).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
