"""KB_HOME on a full disk: every write the knowledge base makes says "disk full", and the serving version stays.

No real full disk: the write fails as a full disk fails it, with OSError(ENOSPC) from fsync (where delayed
allocation reports it) or Chroma's SQLite error, at the boundary where the kb writes."""
from __future__ import annotations

import errno
import os

import pytest
from click.testing import CliRunner

from bot.surfaces.cli import cli
from kb import KnowledgeBase
from kb.errors import DiskFull
from kb.synthetic import make_catalog
from tests.kb.conftest import next_edition


def no_space(*args: object, **kwargs: object) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.fixture
def full_disk(monkeypatch: pytest.MonkeyPatch):
    """From now on every fsync fails as on a full disk."""
    return lambda: monkeypatch.setattr(os, "fsync", no_space)


def test_ingest_on_a_full_disk_says_disk_full_and_keeps_the_serving_version(ingested, catalog, fake_home, full_disk):
    full_disk()
    with pytest.raises(DiskFull, match="disk full") as raised:
        ingested.ingest(next_edition(catalog, "2026-01-01", "二〇二六年版"))
    assert "cannot be read" not in str(raised.value) and str(fake_home) in str(raised.value)
    assert ingested.active_version == "2025-07-01" and ingested.search("系统很卡", k=1)
    assert [info.version for info in ingested.versions()] == ["2025-07-01"]
    assert not list(fake_home.rglob("*.tmp")), "half-written temporary files left on the full disk"


def test_a_full_disk_while_switching_the_registry_says_disk_full(ingested, catalog, fake_home, monkeypatch):
    from kb import registry

    write = registry._write_atomically

    def full_at_the_registry(path, content):
        if path.name == "registry.json":
            no_space()
        write(path, content)

    monkeypatch.setattr(registry, "_write_atomically", full_at_the_registry)
    with pytest.raises(DiskFull, match="disk full"):
        ingested.ingest(next_edition(catalog, "2026-01-01", "二〇二六年版"))
    assert ingested.active_version == "2025-07-01"


def test_a_full_disk_under_chroma_says_disk_full(ingested, fake_home, monkeypatch):
    from chromadb.api.models.Collection import Collection
    from chromadb.errors import InternalError

    def sqlite_full(*args: object, **kwargs: object) -> None:
        raise InternalError("error returned from database: (code: 13) database or disk is full")

    monkeypatch.setattr(Collection, "add", sqlite_full)
    with pytest.raises(DiskFull, match="disk full"):
        ingested.ingest(make_catalog(20, "2026-01-01"))
    assert ingested.active_version == "2025-07-01"


def test_the_cli_says_disk_full_in_one_line(ingested, fake_home, full_disk):
    full_disk()
    result = CliRunner().invoke(cli, ["ingest"])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("kbbot: error: ") and result.stderr.count("\n") == 1, result.stderr
    assert "disk full" in result.stderr and "cannot be read" not in result.stderr


def test_the_writer_lock_on_a_full_disk_says_disk_full(fake_home, monkeypatch):
    from pathlib import Path

    from kb.locking import writer_lock

    def no_space_for_text(self: Path, *args: object, **kwargs: object) -> None:
        no_space()

    fake_home.mkdir(parents=True)
    monkeypatch.setattr(Path, "write_text", no_space_for_text)
    with pytest.raises(DiskFull, match="disk full"), writer_lock(fake_home, "test"):
        pass
    monkeypatch.undo()
    with writer_lock(fake_home, "test", wait=False):  # released after the failure
        pass


def test_a_first_ingest_on_a_full_disk_is_no_empty_but_working_store(fake_home, catalog, full_disk):
    full_disk()
    with pytest.raises(DiskFull):
        KnowledgeBase.open().ingest(catalog)
    assert KnowledgeBase.open().versions() == []
