from __future__ import annotations

import os
from pathlib import Path

import pytest

from eval.bench.load import run_load
from eval.bench.serving import free_port, rss_mb, running_server


def test_rss_of_a_live_process_is_positive() -> None:
    assert rss_mb(os.getpid()) > 1


def test_free_port_can_be_bound() -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", free_port()))


@pytest.mark.slow
def test_a_real_server_is_ready_measured_loaded_and_stopped(kb_home: Path) -> None:
    env = {**os.environ, "KB_RATE_LIMIT_PER_MINUTE": "100000"}

    with running_server(env) as server:
        assert server.ready_s > 0 and server.base_url.startswith("http://127.0.0.1:")
        assert server.rss_mb() > 50
        questions = ["升级服务包括什么", "What does the upgrade service include?"]
        result = run_load(server.base_url, questions, clients=2, duration_s=1.0, max_requests_per_client=50)
        process = server.process

    assert result.ok > 0 and result.failed == result.rate_limited == result.overloaded == 0
    assert process.poll() is not None, "the server must be stopped when the block ends"
    assert not server.log_path.exists()
