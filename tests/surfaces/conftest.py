"""Fakes with the bot and KB interfaces, for the in-process app tests; the live-server tests use the real ones."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from bot.models import Answer, Citation, StreamEvent
from bot.surfaces.logbook import Logbook
from bot.surfaces.settings import ServeSettings
from ingest.models import Catalog, Entry
from kb.errors import UnknownVersion
from kb.models import EntryHit, Evidence, VersionInfo
from tests.conftest import close_with_module

ENTRIES = [
    Entry(id="升级服务", product="升级服务", category="升级服务", page=1,
          description="金蝶成立升级专项小组为客户提供升级服务，保障将产品升级到约定版本。",
          items=["方案制定：提供升级服务方案、升级执行计划", "升级测试：搭建升级测试环境，执行升级操作"],
          text="升级服务 金蝶成立升级专项小组 方案制定 升级测试"),
    Entry(id="数据迁移服务", product="数据迁移服务", category="升级服务", page=1,
          description="金蝶为客户提供的数据迁移服务，保障将原系统数据迁移至目标系统。",
          items=["方案制定：确定数据迁移的范围", "服务保障：确保数据准确"],
          exclusions=["不包含数据清洗"],
          text="数据迁移服务 原系统数据迁移至目标系统 不包含数据清洗"),
    Entry(id="性能优化服务", product="性能优化服务", category="系统运维服务", page=2,
          description="针对系统运行缓慢问题进行诊断和优化。", items=["性能诊断", "优化实施"],
          text="性能优化服务 系统运行缓慢 性能诊断 优化实施"),
]
VERSIONS = ["2025-01-01", "2025-07-01"]
KBBOT = Path(sys.executable).with_name("kbbot")


def fake_catalog(version: str = "2025-07-01") -> Catalog:
    entries = ENTRIES if version == "2025-07-01" else ENTRIES[:2]
    return Catalog(catalog_version=version, source="fake", entries=entries)


class FakeKB:
    def __init__(self) -> None:
        self.catalog = fake_catalog()
        self.active_version = "2025-07-01"

    def search(self, query: str, k: int = 5, category: str | None = None) -> list[EntryHit]:
        scored = []
        for entry in self.catalog.entries:
            if category and entry.category != category:
                continue
            clauses = [entry.description, *entry.items, *entry.exclusions]
            matched = [c for c in clauses if any(ch in c for ch in query if ch.strip() and ord(ch) > 0x2E80)]
            score = sum(ch in entry.text for ch in set(query)) / max(1, len(set(query)))
            if matched or entry.product in query:
                scored.append(EntryHit(entry=entry, score=score, evidence=[
                    Evidence(chunk_id=f"{entry.id}-{n}", kind="item", text=c, score=score) for n, c in enumerate(matched)]))
        return sorted(scored, key=lambda hit: -hit.score)[:k]

    def versions(self) -> list[VersionInfo]:
        return [VersionInfo(version=v, collection=f"c-{v}", embeddings="fake", source="fake", entries=3, chunks=9,
                            built_at=f"{v}T00:00:00", active=v == self.active_version) for v in VERSIONS]

    def version_catalog(self, version: str) -> Catalog:
        if version not in VERSIONS:
            raise UnknownVersion(f"unknown version {version!r}", "see `kbbot versions`")
        return fake_catalog(version)


class FakeBot:
    """Answers from the first fake KB hit; abstains when nothing matches. `delay` simulates a slow answer."""

    def __init__(self, kb: FakeKB | None = None, delay: float = 0.0) -> None:
        self.kb = kb or FakeKB()
        self.delay = delay
        self.calls: list[tuple[str, list[dict[str, str]]]] = []

    def ask(self, question: str, history: list[Any] | None = None) -> Answer:
        self.calls.append((question, [t if isinstance(t, dict) else t.model_dump() for t in history or []]))
        if self.delay:
            time.sleep(self.delay)
        hits = [h for h in self.kb.search(question) if h.entry.product in question or h.score > 0.5]
        if not hits:
            return Answer(answer="抱歉，服务目录中没有相关信息。", abstained=True, catalog_version="2025-07-01")
        entry = hits[0].entry
        return Answer(
            answer=f"**{entry.product}**：{entry.description}",
            citations=[Citation(product=entry.product, category=entry.category, page=entry.page,
                                quote=entry.description)],
            catalog_version="2025-07-01",
        )

    def stream(self, question: str, history: list[dict[str, str]] | None = None) -> Iterator[StreamEvent]:
        answer = self.ask(question, history)
        for start in range(0, len(answer.answer), 8):
            yield StreamEvent(delta=answer.answer[start:start + 8])
        yield StreamEvent(final=answer)


@pytest.fixture
def fake_bot() -> FakeBot:
    return FakeBot()


@pytest.fixture
def logbook(tmp_path: Path) -> Iterator[Logbook]:
    book = Logbook(tmp_path / "logbook.sqlite3", retention_days=90)
    yield book
    book.close()


def app_logbook(path: Path) -> Logbook:
    """The log of an app a test builds, closed when the test module is done: FastAPI's caches keep an app's
    endpoints, and with them its log's SQLite connection, alive long after the test."""
    return close_with_module(Logbook(path))


def make_app(bot: Any, tmp_path: Path, **settings: Any) -> Any:
    from bot.surfaces.web import create_app

    return create_app(bot=bot, kb=bot.kb, settings=ServeSettings(**settings),
                      logbook=app_logbook(tmp_path / "logbook.sqlite3"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serve_in_thread(app: Any, settings: ServeSettings | None = None) -> Iterator[str]:
    """Real HTTP on loopback for an in-process app, torn down on exit: plain uvicorn, or with `settings`
    uvicorn configured as `kbbot serve` configures it."""
    import uvicorn

    from bot.surfaces.serve import server_config

    port = free_port()
    config = (server_config(app, "127.0.0.1", port, settings) if settings
              else uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    server = uvicorn.Server(config)
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


def serve_env(home: Path, **env: str) -> dict[str, str]:
    """This process's environment with KB_HOME at `home` and the embedded store (any KB_CHROMA_URL dropped)."""
    environment = {**os.environ, "KB_HOME": str(home), **env}
    environment.pop("KB_CHROMA_URL", None)
    return environment


@contextmanager
def kbbot_serve(env: dict[str, str], log_path: Path, host: str = "127.0.0.1") -> Iterator[str]:
    """The real `kbbot serve` in a subprocess with exactly `env`, on a free port, its output in `log_path`;
    yields its URL once /healthz answers, stops its whole process group on exit."""
    port = free_port()
    with open(log_path, "wb") as log:
        process = subprocess.Popen([str(KBBOT), "serve", "--host", host, "--port", str(port)], env=env,
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_healthy(process, f"http://{host}:{port}", log_path)
        yield f"http://{host}:{port}"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


SUPPORT_CONTACT = "400-830-0555 客服热线 (test contact)"
# Per client address: the other tests come from 127.0.0.1 and stay far below it; the hostile-input tests
# use 127.0.0.2 and 127.0.0.3 so they exhaust their own budget only.
LIVE_RATE_LIMIT = 600
LIVE_MAX_IN_FLIGHT = 8


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real `kbbot serve` (real bot, real KB built on first start) in a subprocess on a free port."""
    home = tmp_path_factory.mktemp("live_kb_home")
    env = serve_env(home, KB_SUPPORT_CONTACT=SUPPORT_CONTACT, KB_RATE_LIMIT_PER_MINUTE=str(LIVE_RATE_LIMIT),
                    KB_MAX_IN_FLIGHT=str(LIVE_MAX_IN_FLIGHT))
    with kbbot_serve(env, home / "serve.log") as url:
        yield url


def _wait_healthy(process: subprocess.Popen[bytes], url: str, log_path: Path, timeout: float = 240) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"kbbot serve exited {process.returncode}:\n{log_path.read_text(errors='replace')[-3000:]}")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"kbbot serve not healthy after {timeout} s:\n{log_path.read_text(errors='replace')[-3000:]}")
