"""One writer at a time on a KB_HOME: ingests (and staff adding examples) take an inter-process lock.

Two `kbbot ingest` of the same edition at once used to delete each other's build and leave the registry
pointing at nothing; embedded Chroma is not safe for concurrent writers either. Readers never take the
lock: they follow registry.json, which a writer replaces atomically."""
from __future__ import annotations

import json
import os
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from kb.errors import KBError, writes_to

LOCK_FILE = "writer.lock"
HOLDER_FILE = "writer.holder"


class KBLocked(KBError):
    """Another process is writing to this KB_HOME and the caller chose not to wait."""


def _holder(home: Path) -> str:
    try:
        info = json.loads((home / HOLDER_FILE).read_text(encoding="utf-8"))
        return f"pid {info['pid']} on {info['host']} ({info['purpose']}, since {info['since']})"
    except (OSError, ValueError, KeyError):
        return "another process"


_locks: dict[Path, tuple[threading.RLock, FileLock]] = {}
_locks_guard = threading.Lock()
_depth = threading.local()


def _lock_pair(home: Path) -> tuple[threading.RLock, FileLock]:
    """One file lock per KB_HOME per process (two flock handles on one file would block each other),
    with a thread lock in front of it: threads of one process take turns too."""
    key = home.resolve()
    with _locks_guard:
        if key not in _locks:
            _locks[key] = (threading.RLock(), FileLock(str(key / LOCK_FILE), thread_local=False))
        return _locks[key]


@contextmanager
def writer_lock(home: Path, purpose: str, wait: bool = True,
                notify: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the KB_HOME writer lock (re-entrant in one thread). With `wait`, block, telling `notify` once
    who holds it; without, raise KBLocked naming the holder."""
    with writes_to(home):
        home.mkdir(parents=True, exist_ok=True)
    thread_lock, file_lock = _lock_pair(home)
    depth = getattr(_depth, "value", {})
    _depth.value = depth
    key = home.resolve()
    if depth.get(key):
        depth[key] += 1
        try:
            yield
        finally:
            depth[key] -= 1
        return
    if not thread_lock.acquire(blocking=False):
        if not wait:
            raise KBLocked(f"{home} is being written by another thread of this process", "try again in a moment")
        thread_lock.acquire()
    try:
        try:
            with writes_to(home / LOCK_FILE):
                file_lock.acquire(timeout=0)
        except Timeout:
            holder = _holder(home)
            if not wait:
                raise KBLocked(f"{home} is being written by {holder}",
                               "wait for it to finish, or run without --no-wait") from None
            (notify or (lambda text: print(text, file=sys.stderr)))(
                f"kbbot: waiting for {holder} to finish writing {home} ...")
            file_lock.acquire()
        depth[key] = 1
        try:
            with writes_to(home / HOLDER_FILE):
                (home / HOLDER_FILE).write_text(json.dumps({
                    "pid": os.getpid(), "host": socket.gethostname(), "purpose": purpose,
                    "since": time.strftime("%Y-%m-%dT%H:%M:%S"),
                }), encoding="utf-8")
            yield
        finally:
            depth[key] = 0
            try:
                (home / HOLDER_FILE).unlink()
            except OSError:
                pass
            file_lock.release()
    finally:
        thread_lock.release()
