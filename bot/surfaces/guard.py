"""Hostile-input protection: size limit, per-client rate limit and bounded in-flight work for the API.

A pure ASGI middleware, so it also bounds streamed responses (a request counts as in flight until its
last byte is sent) and rejects oversize bodies before any of it is parsed or held in memory.
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


class RequestGuard:
    """The API (paths under `api_prefixes`) gets every check. The Gradio pages get the declared-size check
    only: their queue bounds their own work, and file uploads have Gradio's own size limit."""

    def __init__(self, app: ASGIApp, *, max_request_bytes: int, rate_limit_per_minute: int, max_in_flight: int,
                 api_prefixes: tuple[str, ...] = ("/v1/",), upload_marker: str = "/gradio_api/upload",
                 body_timeout_s: float = 10.0) -> None:
        self.app = app
        self.body_timeout_s = body_timeout_s
        self.max_request_bytes = max_request_bytes
        self.buckets = TokenBuckets(rate_limit_per_minute)
        self.max_in_flight = max_in_flight
        self.api_prefixes = api_prefixes
        self.upload_marker = upload_marker
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if not path.startswith(self.api_prefixes):
            if self.upload_marker not in path and (_content_length(scope) or 0) > self.max_request_bytes:
                await _reject(send, 413, self._too_large_message(), "request_too_large")
                return
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("unknown", 0))[0]
        wait = self.buckets.take(client)
        if wait > 0:
            await _reject(send, 429, "Too many requests from this client; please retry later.", "rate_limit_exceeded",
                          retry_after=wait)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_request_bytes:
            await _reject(send, 413, self._too_large_message(), "request_too_large")
            return
        if self.in_flight >= self.max_in_flight:
            await _reject(send, 503, "The server is busy; please retry in a moment.", "overloaded", retry_after=1)
            return
        self.in_flight += 1
        try:
            try:
                body = await asyncio.wait_for(self._read_body(receive), self.body_timeout_s)
            except asyncio.TimeoutError:
                # A client that declares a body and never sends it must not hold a slot for long.
                await _reject(send, 408, "The request body did not arrive in time.", "request_timeout")
                return
            if body is None:
                await _reject(send, 413, self._too_large_message(), "request_too_large")
                return
            await self.app(scope, _replay(body, receive), send)
        finally:
            self.in_flight -= 1

    def _too_large_message(self) -> str:
        return f"Request body too large; the limit is {self.max_request_bytes} bytes."

    async def _read_body(self, receive: Receive) -> bytes | None:
        """The whole body, or None as soon as it exceeds the limit (chunked uploads included)."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return b"".join(chunks)
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_request_bytes:
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
