"""Run a real `kbbot serve` on 127.0.0.1 for the benchmarks: time to ready, and its memory."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil

from eval.bench.commands import kbbot_executable, shown

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def rss_mb(pid: int) -> float:
    """Resident memory of a process and all its children (uvicorn may fork), in MiB."""
    root = psutil.Process(pid)
    total = 0
    for process in [root, *root.children(recursive=True)]:
        try:
            total += process.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total / 2**20


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base_url: str
    command: str
    ready_s: float
    log_path: Path

    def rss_mb(self) -> float:
        return rss_mb(self.process.pid)


class ServerFailed(RuntimeError):
    """The server exited or never answered /healthz; the message carries the tail of its log."""


def _log_tail(path: Path, lines: int = 15) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def _wait_ready(process: subprocess.Popen[bytes], health_url: str, timeout_s: float, log_path: Path) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerFailed(f"kbbot serve exited with {process.returncode}:\n{_log_tail(log_path)}")
        try:
            if httpx.get(health_url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise ServerFailed(f"kbbot serve not ready after {timeout_s:g} s:\n{_log_tail(log_path)}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server's own process group (it was started in a new session), then SIGKILL."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


@contextmanager
def running_server(env: dict[str, str], ready_timeout_s: float = 180.0) -> Iterator[Server]:
    """Start `kbbot serve` on a free local port; ready_s is process start to the first 200 from /healthz."""
    port = free_port()
    argv = [kbbot_executable(), "serve", "--host", HOST, "--port", str(port)]
    with tempfile.NamedTemporaryFile(prefix="kbbot-serve-", suffix=".log", delete=False) as log:
        log_path = Path(log.name)
    with log_path.open("wb") as log_file:
        start = time.perf_counter()
        process = subprocess.Popen(argv, env=env, stdout=log_file, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        base_url = f"http://{HOST}:{port}"
        _wait_ready(process, f"{base_url}/healthz", ready_timeout_s, log_path)
        ready_s = time.perf_counter() - start
        yield Server(process, base_url, shown(argv), ready_s, log_path)
    finally:
        _stop(process)
        log_path.unlink(missing_ok=True)
