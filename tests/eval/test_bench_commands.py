from __future__ import annotations

import os
import sys

import pytest

from eval.bench.commands import CommandFailed, bench_command, kbbot_executable, run_timed, shown


def test_a_timed_command_returns_its_wall_time_and_output() -> None:
    seconds, stdout = run_timed([sys.executable, "-c", "print('{\"answer\": 1}')"], dict(os.environ), timeout_s=60)

    assert seconds > 0 and stdout.strip() == b'{"answer": 1}'


def test_a_failing_command_reports_its_last_stderr_line() -> None:
    script = "import sys; sys.stderr.write('Traceback...\\n  noise\\nerror: no such catalog\\n'); sys.exit(2)"

    with pytest.raises(CommandFailed, match=r"exited 2: error: no such catalog$"):
        run_timed([sys.executable, "-c", script], dict(os.environ), timeout_s=60)


def test_commands_are_shown_short_and_relative() -> None:
    assert shown([kbbot_executable(), "ask", "升级 服务", "--json"]) == "kbbot ask '升级 服务' --json"
    assert shown(["kbbot", "ingest", os.path.join(os.getcwd(), "data", "x.txt")]) == "kbbot ingest data/x.txt"
    assert bench_command("serve", "--clients", "32") == ".venv/bin/python -m eval.bench --only serve --clients 32"
