"""`kbbot versions activate VERSION`: serve an edition ingested before again, without re-ingesting."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from bot.surfaces.cli import cli
from kb import KnowledgeBase
from kb.embeddings import HashedNgramEmbeddings
from kb.locking import writer_lock
from kb.registry import Registry
from tests.kb.conftest import next_edition

KBBOT = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "kbbot"
OLD, NEW = "2025-07-01", "2026-01-01"
MARKER = "二〇二六年版新增说明"


def kbbot(*args: str):
    return CliRunner().invoke(cli, list(args))


@pytest.fixture
def two_editions(ingested, catalog, fake_home: Path) -> KnowledgeBase:
    """The bundled edition, then a newer one (every description changed) serving."""
    ingested.ingest(next_edition(catalog, NEW, MARKER))
    assert ingested.active_version == NEW
    return ingested


def active_build(home: Path) -> str:
    registry = Registry(home).read()
    return registry.builds[registry.active["fake"]].version


def test_activate_switches_back_without_embedding_and_a_reader_follows(two_editions, fake_home, monkeypatch):
    reader = KnowledgeBase.open()  # a server's KB, opened before the switch
    assert reader.active_version == NEW and MARKER in reader.catalog.entries[0].description
    before = Registry(fake_home).read()
    inode = (fake_home / "registry.json").stat().st_ino

    def no_embedding(self, texts):
        raise AssertionError("activate must not embed anything")

    monkeypatch.setattr(HashedNgramEmbeddings, "embed_documents", no_embedding)
    result = kbbot("versions", "activate", OLD)
    assert result.exit_code == 0, result.output
    assert f"active version: {OLD}" in result.stdout

    after = Registry(fake_home).read()
    assert after.builds == before.builds  # the same builds, nothing rebuilt or removed: only the pointer moved
    assert after.builds[after.active["fake"]].version == OLD
    assert (fake_home / "registry.json").stat().st_ino != inode  # replaced whole (os.replace), as ingest does
    assert reader.active_version == OLD and MARKER not in reader.catalog.entries[0].description
    assert reader.search("数据库转换服务包括工具授权吗", k=1)[0].entry.product == "数据库转换服务"
    assert kbbot("versions").stdout.startswith(f"* {OLD}")
    assert [info["version"] for info in json.loads(kbbot("versions", "--json").stdout) if info["active"]] == [OLD]

    again = kbbot("versions", "activate", NEW)
    assert again.exit_code == 0 and reader.active_version == NEW
    assert kbbot("versions", "activate", NEW).stdout.startswith(f"{NEW} is already active")


def test_an_unknown_version_is_one_line_and_exit_2(two_editions, fake_home):
    before = (fake_home / "registry.json").read_bytes()
    result = kbbot("versions", "activate", "1999-01-01")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "unknown version '1999-01-01'" in result.stderr
    assert OLD in result.stderr and NEW in result.stderr  # what can be activated
    assert (fake_home / "registry.json").read_bytes() == before


def test_a_build_whose_chunks_are_gone_is_not_activated(two_editions, fake_home):
    registry = Registry(fake_home).read()
    [old] = [name for name, info in registry.builds.items() if info.version == OLD]
    two_editions.client.delete_collection(old)
    result = kbbot("versions", "activate", OLD)
    assert result.exit_code == 2 and result.stderr.count("\n") == 1 and "kbbot ingest" in result.stderr
    assert active_build(fake_home) == NEW  # still serving the whole edition


def test_activate_takes_the_writer_lock(two_editions, fake_home):
    with writer_lock(fake_home, "a test holding the lock"):
        result = subprocess.run([str(KBBOT), "versions", "activate", OLD, "--no-wait"], capture_output=True,
                                text=True, env=os.environ.copy(), timeout=120)
    assert result.returncode == 2, result.stderr
    assert "a test holding the lock" in result.stderr and result.stderr.count("\n") == 1
    assert active_build(fake_home) == NEW


@pytest.mark.slow
def test_a_running_server_answers_from_the_activated_edition(two_editions, fake_home, tmp_path):
    from bot import CatalogBot
    from tests.surfaces.conftest import make_app, serve_in_thread

    bot = CatalogBot(kb=KnowledgeBase.open(), llm=None)
    question = {"model": "kbbot", "messages": [{"role": "user", "content": "数据库转换服务包括工具授权吗？"}]}
    with serve_in_thread(make_app(bot, tmp_path)) as url:
        assert httpx.get(f"{url}/healthz", timeout=30).json()["catalog_version"] == NEW
        assert kbbot("versions", "activate", OLD).exit_code == 0
        health = httpx.get(f"{url}/healthz", timeout=30).json()
        assert health["catalog_version"] == OLD and health["active_version"] == OLD
        reply = httpx.post(f"{url}/v1/chat/completions", json=question, timeout=60).json()
        assert reply["catalog_version"] == OLD and MARKER not in reply["choices"][0]["message"]["content"]
