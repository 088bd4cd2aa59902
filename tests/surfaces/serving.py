"""Test helpers: the app served over loopback with `kbbot serve`'s own server configuration, `kbbot serve`
itself with chosen limits, the guard inside an app, a clock the tests move by hand, a log on a full disk."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bot.models import Answer
from bot.surfaces.guard import RequestGuard
from bot.surfaces.logbook import Logbook
from bot.surfaces.settings import ServeSettings
from tests.surfaces.conftest import KBBOT, _wait_healthy, free_port


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


@contextmanager
def serve_app(app: Any, settings: ServeSettings) -> Iterator[str]:
    """Real HTTP on loopback, configured as `kbbot serve` configures uvicorn, torn down on exit."""
    import uvicorn

    from bot.surfaces.serve import server_config

    port = free_port()
    server = uvicorn.Server(server_config(app, "127.0.0.1", port, settings))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("in-process uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def kbbot_serve(home: Path, **env: str) -> Iterator[str]:
    """`kbbot serve` (real bot on the fake embedder) in a subprocess with the given environment; its
    output goes to `home/serve.log`."""
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    environment = {**os.environ, "KB_HOME": str(home), "KB_EMBEDDINGS": "fake", **env}
    environment.pop("KB_CHROMA_URL", None)
    log_path = home / "serve.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen([str(KBBOT), "serve", "--host", "127.0.0.1", "--port", str(port)],
                                   env=environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(process, url, log_path)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


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
    book = Logbook(path)
    book.record("fills the last page", Answer(answer="ok", catalog_version="2025-07-01"), surface="api")
    pages = book._db.execute("PRAGMA page_count").fetchone()[0]
    book._db.execute(f"PRAGMA max_page_count = {pages}")
    return book
