"""The commands benchmarks run, and how the report shows them: short, relative, copy-pasteable."""
from __future__ import annotations

import shlex
import subprocess
import sys
import time
from pathlib import Path

PYTHON = ".venv/bin/python"


def kbbot_executable() -> str:
    """The console script of the running virtualenv, so the bench measures this checkout."""
    return str(Path(sys.executable).with_name("kbbot"))


def display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def shown(argv: list[str]) -> str:
    """`/abs/.venv/bin/kbbot ask …` as `kbbot ask …`, with paths under the working directory made relative."""
    words = ["kbbot" if word == kbbot_executable() else word for word in argv]
    return shlex.join([display_path(Path(word)) if word.startswith("/") else word for word in words])


def bench_command(benchmark: str, *options: str) -> str:
    """The command that reruns just one benchmark."""
    return shlex.join([PYTHON, "-m", "eval.bench", "--only", benchmark, *options])


class CommandFailed(RuntimeError):
    """A timed command exited non-zero; the message is its last stderr line, the error without the traceback."""


def run_timed(argv: list[str], env: dict[str, str], timeout_s: float) -> tuple[float, bytes]:
    """Wall seconds from spawn to exit, and stdout; CommandFailed on a non-zero exit."""
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, stdin=subprocess.DEVNULL, timeout=timeout_s)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        lines = done.stderr.decode(errors="replace").strip().splitlines()
        raise CommandFailed(f"{shown(argv[:2])} exited {done.returncode}: {lines[-1] if lines else '(no output)'}")
    return seconds, done.stdout
