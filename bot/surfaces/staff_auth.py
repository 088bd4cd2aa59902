"""Who may open /staff/: its password, a gate in front of the whole staff app, and a back-off on guessing.

The staff app shows every customer's declined and 👎 questions. Like Jupyter, a server reachable beyond
this machine never runs it open: without KB_STAFF_PASSWORD a password is generated at start-up and
printed once. Gradio's own login covers most of its routes but not all (/cancel, /stream/…, run history),
so a gate serves nothing under the prefix but the sign-in page and its assets until the client has
signed in, and answers wrong passwords ever more slowly per client address.
"""
from __future__ import annotations

import json
import math
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

from starlette.requests import cookie_parser

from bot.surfaces.guard import ASGIApp, Message, Receive, Scope, Send

STAFF_USER = "staff"
LOCAL_HOSTS = ("127.0.0.1", "::1", "localhost")
# What Gradio's sign-in page loads before anyone has signed in.
PUBLIC_PATHS = ("", "/", "/login", "/login/", "/theme.css", "/favicon.ico")
PUBLIC_PREFIXES = ("/assets/", "/static/", "/svelte/")


def staff_password(configured: str | None, host: str | None) -> tuple[str | None, bool]:
    """(password, generated). Open (None) only when nothing is configured and the server listens on
    this machine alone; any other address (0.0.0.0 included) gets a fresh random password."""
    if configured:
        return configured, False
    if host is None or host in LOCAL_HOSTS:
        return None, False
    return secrets.token_urlsafe(18), True


class LoginBackoff:
    """Per client: the first `free` sign-in attempts are checked at once; each further one waits twice as
    long as the one before (1 s, 2 s, 4 s … up to `max_delay`) and attempts inside the wait are refused
    unchecked. An attempt counts when it starts, so a burst sent at once gets no more than a slow loop.
    A successful sign-in, or `forget_after` seconds without attempts, starts the client afresh."""

    def __init__(self, free: int = 3, base_delay: float = 1.0, max_delay: float = 300.0,
                 forget_after: float = 900.0, max_clients: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.free, self.base_delay, self.max_delay = free, base_delay, max_delay
        self.forget_after, self.max_clients, self.clock = forget_after, max_clients, clock
        self._clients: dict[str, tuple[int, float, float]] = {}  # client -> (attempts, last attempt, allowed at)
        self._lock = threading.Lock()

    def attempt(self, client: str) -> float:
        """0 when this attempt may be checked (and is counted), else the seconds until one may."""
        now = self.clock()
        with self._lock:
            attempts, last, allowed_at = self._clients.get(client, (0, now, now))
            if now - last >= self.forget_after:
                attempts, allowed_at = 0, now
            if now < allowed_at:
                return allowed_at - now
            attempts += 1
            if attempts >= self.free:
                allowed_at = now + min(self.max_delay, self.base_delay * 2 ** (attempts - self.free))
            self._remember(client, (attempts, now, allowed_at), now)
            return 0.0

    def signed_in(self, client: str) -> None:
        with self._lock:
            self._clients.pop(client, None)

    def _remember(self, client: str, state: tuple[int, float, float], now: float) -> None:
        if client not in self._clients and len(self._clients) >= self.max_clients:
            idle = [key for key, (_, last, _) in self._clients.items() if now - last >= self.forget_after]
            for key in idle or list(self._clients)[: len(self._clients) // 2]:
                del self._clients[key]
        self._clients[client] = state


def gradio_session(gradio_app: Any) -> Callable[[Scope], bool]:
    """Whether a request carries a session cookie that Gradio's login handed out (the check Gradio's
    own routes make, read from the same cookie names and token table)."""

    def signed_in(scope: Scope) -> bool:
        header = next((value for name, value in scope.get("headers", []) if name == b"cookie"), b"")
        cookies = cookie_parser(header.decode("latin-1"))
        token = (cookies.get(f"access-token-{gradio_app.cookie_id}")
                 or cookies.get(f"access-token-unsecure-{gradio_app.cookie_id}"))
        return token is not None and token in gradio_app.tokens

    return signed_in


class StaffGate:
    """ASGI middleware for everything under `prefix`: the sign-in page and its assets for anyone, the
    rest only with a signed-in session; sign-in attempts go through the client's back-off."""

    def __init__(self, app: ASGIApp, *, prefix: str, signed_in: Callable[[Scope], bool],
                 backoff: LoginBackoff) -> None:
        self.app, self.prefix, self.signed_in, self.backoff = app, prefix, signed_in, backoff

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] not in ("http", "websocket") or not (path == self.prefix or path.startswith(self.prefix + "/")):
            await self.app(scope, receive, send)
            return
        rest = path[len(self.prefix):]
        client = (scope.get("client") or ("unknown", 0))[0]
        if scope["type"] == "http" and scope["method"] == "POST" and rest in ("/login", "/login/"):
            wait = self.backoff.attempt(client)
            if wait > 0:
                await _refuse(send, 429, "Too many sign-in attempts; wait before trying again.", retry_after=wait)
                return
            await self.app(scope, receive, self._watch_sign_in(send, client))
            return
        if self.signed_in(scope) or (scope["type"] == "http" and (rest in PUBLIC_PATHS
                                                                  or rest.startswith(PUBLIC_PREFIXES))):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        await _refuse(send, 401, "Not authenticated: sign in at the staff page first.")

    def _watch_sign_in(self, send: Send, client: str) -> Send:
        async def watched(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 200:
                self.backoff.signed_in(client)
            await send(message)

        return watched


async def _refuse(send: Send, status: int, detail: str, retry_after: float | None = None) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if retry_after is not None:
        headers.append((b"retry-after", str(max(1, math.ceil(retry_after))).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
