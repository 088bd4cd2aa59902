"""Fixtures for the knowledge base: the bundled catalog, fake-embedding KBs, a real Chroma server."""
from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ingest.models import Catalog

CHROMA = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "chroma"


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    from ingest import load_catalog

    return load_catalog()


@pytest.fixture
def fake_home(kb_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty KB_HOME with the deterministic fake embedder (fast; dense ranking is noise)."""
    monkeypatch.setenv("KB_EMBEDDINGS", "fake")
    return kb_home


@pytest.fixture
def ingested(fake_home: Path, catalog: Catalog):
    from kb import KnowledgeBase

    knowledge_base = KnowledgeBase.open()
    knowledge_base.ingest(catalog)
    return knowledge_base


def next_edition(catalog: Catalog, version: str, marker: str) -> Catalog:
    """The same products, every description sentence changed (so every clause is new) - a new edition."""
    entries = [entry.model_copy(update={"description": f"{entry.description}{marker}。" if entry.description
                                        else marker}) for entry in catalog.entries]
    return catalog.model_copy(update={"catalog_version": version, "entries": entries})


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ChromaServer:
    """A real `chroma run` process; stop() and start() again on the same data and port."""

    def __init__(self, path: Path, log: Path) -> None:
        self.path = path
        self.log = log
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60) -> None:
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [str(CHROMA), "run", "--path", str(self.path), "--host", "127.0.0.1", "--port", str(self.port)],
                stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        raise RuntimeError(f"chroma run did not come up: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[ChromaServer]:
    server = ChromaServer(tmp_path / "chroma-server", tmp_path / "chroma-server.log")
    server.start()
    yield server
    server.stop()
