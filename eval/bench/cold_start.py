"""Cold start of `kbbot ask`: a fresh process, start to printed answer, on an already built KB."""
from __future__ import annotations

import json
import shlex
import subprocess
import time

from pydantic import BaseModel

from eval.bench.serving import kbbot_executable


class ColdRuns(BaseModel):
    command: str
    seconds: list[float]

    @property
    def median_s(self) -> float:
        ordered = sorted(self.seconds)
        middle = len(ordered) // 2
        return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


class ColdStartFailed(RuntimeError):
    pass


def time_cold_ask(question: str, env: dict[str, str], runs: int = 5, timeout_s: float = 120.0) -> ColdRuns:
    """Wall time until the process has printed its JSON answer and exited (exit included: pessimistic)."""
    argv = [kbbot_executable(), "ask", question, "--json"]
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(argv, env=env, capture_output=True, timeout=timeout_s, stdin=subprocess.DEVNULL)
        elapsed = time.perf_counter() - start
        if done.returncode != 0:
            raise ColdStartFailed(f"kbbot ask exited {done.returncode}: {done.stderr.decode(errors='replace')[-500:]}")
        json.loads(done.stdout)  # a run only counts when it printed a whole answer
        seconds.append(elapsed)
    return ColdRuns(command=shlex.join(["kbbot", *argv[1:]]), seconds=seconds)
