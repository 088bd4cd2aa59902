"""A reader (the server's KnowledgeBase) across store changes it did not make: a rebuild by another process,
the registry set aside mid-rebuild, a collection gone, a Chroma server outage; and its cheap store check."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from kb import KnowledgeBase
from kb.errors import ChromaUnavailable, StoreCorrupt
from kb.registry import Registry

KBBOT = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "kbbot"


def kbbot_process(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(KBBOT), *args], capture_output=True, text=True, env=os.environ.copy())


def test_a_reader_reopens_the_store_rebuilt_by_another_process(ingested, fake_home):
    assert ingested.search("系统很卡", k=1)  # loaded, dense index connected
    assert ingested.check_store()["chunks"] > 0
    rebuilt = kbbot_process("ingest", "--rebuild")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert list(fake_home.glob("aside-*/chroma"))
    assert ingested.search("系统很卡", k=1)
    active = Registry(fake_home).read().active[ingested.slug]
    assert ingested.check_store()["collection"] == active


def test_a_reader_keeps_answering_from_its_loaded_build_while_the_registry_is_set_aside(ingested, fake_home):
    before = ingested.search("系统很卡", k=1)[0].entry.id
    (fake_home / "registry.json").rename(fake_home / "registry.json.aside")  # what --rebuild does first
    assert ingested.search("系统很卡", k=1)[0].entry.id == before
    assert ingested.active_version == "2025-07-01"
    assert KnowledgeBase.open().versions() == []  # a fresh reader has nothing loaded: it says so


def test_the_store_check_says_when_the_collection_is_gone(ingested, fake_home):
    name = ingested.check_store()["collection"]
    ingested.client.delete_collection(name)
    with pytest.raises(StoreCorrupt, match="cannot be read"):
        ingested.check_store()
    with pytest.raises(StoreCorrupt, match="--rebuild"):
        ingested.search("系统很卡")


def test_the_store_check_says_when_the_chroma_server_is_down(chroma_server, fake_home, catalog, monkeypatch):
    monkeypatch.setenv("KB_CHROMA_URL", chroma_server.url)
    knowledge_base = KnowledgeBase.open()
    knowledge_base.ingest(catalog)
    assert knowledge_base.check_store()["chunks"] > 0
    chroma_server.stop()
    with pytest.raises(ChromaUnavailable, match="unreachable"):
        knowledge_base.check_store()
    chroma_server.start()
    assert knowledge_base.check_store()["chunks"] > 0
    assert knowledge_base.search("数据库换成达梦", k=1)[0].entry.id == "数据库转换服务"
