"""`kbbot eval run` progress: a tqdm bar when stderr is a terminal, nothing extra when it is piped."""
from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

from tests.eval.conftest import write_jsonl
from tests.eval.test_runner import OUTSIDE_SET

ROOT = Path(__file__).resolve().parents[2]

# The real `kbbot eval run` command with the fake bot of tests/eval/test_runner.py in place of the real one.
RUN = """
import sys
import eval.cli
from tests.eval.test_runner import outside_bot
categories = {"数据库转换服务": "系统运维服务", "信创服务": "系统运维服务", "苍穹 PaaS 实验室": "现场服务", "驻场服务": "现场服务"}
eval.cli.open_bot = lambda with_search: (outside_bot(), categories, None)
eval.cli.eval_group(["run", *sys.argv[1:], "--no-retrieval", "--no-chart"], prog_name="kbbot eval")
"""


def command(tmp_path: Path) -> list[str]:
    set_path = write_jsonl(tmp_path / "outside.jsonl", OUTSIDE_SET)
    return [sys.executable, "-c", RUN, str(set_path), "--out", str(tmp_path / "run")]


def run_on_a_terminal(args: list[str], timeout: float = 120) -> tuple[int, str]:
    """Run with stdout and stderr on a pseudo-terminal, as in an interactive shell; everything it drew."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))  # a new pty is 0 columns wide
    process = subprocess.Popen(args, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=follower, stderr=follower)
    os.close(follower)
    screen = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            screen += chunk
        elif process.poll() is not None:
            break
    os.close(leader)
    return process.wait(timeout=30), screen.decode("utf-8", "replace")


def test_a_terminal_gets_a_progress_bar(tmp_path: Path) -> None:
    code, screen = run_on_a_terminal(command(tmp_path))
    assert code == 0, screen
    assert re.search(rf"asking: +\d+%\|.*\| \d/{len(OUTSIDE_SET)} \[", screen), screen  # tqdm's bar, n/total
    assert "wrote " in screen


def test_a_pipe_gets_no_progress_bar(tmp_path: Path) -> None:
    done = subprocess.run(command(tmp_path), cwd=ROOT, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # no bar, no carriage returns, nothing but what a log should hold
    assert "\r" not in done.stdout and "asking" not in done.stdout
    assert "wrote " in done.stdout
