"""Test helpers: the guard inside an app, a clock the tests move by hand, waiting on server state, a log on a
full disk. Serving an app or `kbbot serve` itself: tests/surfaces/conftest.py."""
from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import Any

from bot.models import Answer
from bot.surfaces.guard import RequestGuard
from bot.surfaces.logbook import Logbook
from tests.surfaces.conftest import app_logbook


class ManualClock:
    """Time stands still until a test moves it."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def guard_of(app: Any) -> RequestGuard:
    """The app's RequestGuard instance (the middleware stack is built here if no request built it yet)."""
    if app.middleware_stack is None:
        app.middleware_stack = app.build_middleware_stack()
    layer = app.middleware_stack
    while not isinstance(layer, RequestGuard):
        layer = layer.app
    return layer


def address(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("http://").split(":")
    return host, int(port)


def wait_until(condition: Any, timeout: float = 30.0) -> None:
    """Polls a condition of the server's state (never a timing assertion): fails only if it never holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the condition never held")
        time.sleep(0.02)


def closed_by_server(sock: socket.socket, timeout: float) -> bool:
    """True once the server has closed the connection (EOF or reset), False if it is open after `timeout`."""
    sock.settimeout(timeout)
    try:
        while sock.recv(4096):
            pass
    except TimeoutError:
        return False
    except ConnectionError:
        return True
    return True


def full_logbook(path: Path) -> Logbook:
    """A real log whose database may not grow: SQLite answers every insert 'database or disk is full'."""
    book = app_logbook(path)
    book.record("fills the last page", Answer(answer="ok", catalog_version="2025-07-01"), surface="api")
    pages = book._db.execute("PRAGMA page_count").fetchone()[0]
    book._db.execute(f"PRAGMA max_page_count = {pages}")
    return book
