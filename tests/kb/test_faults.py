"""Faults: a killed ingest, readers during a re-ingest, corrupt or missing stores, a Chroma server going away."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.surfaces.cli import cli
from kb import KnowledgeBase
from kb.errors import ChromaUnavailable
from kb.synthetic import make_catalog
from tests.kb.conftest import next_edition

KBBOT = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "kbbot"


def kbbot(*args: str):
    """In-process, for speed."""
    return CliRunner().invoke(cli, list(args))


def kbbot_process(*args: str) -> subprocess.CompletedProcess[str]:
    """A separate process, like a user's shell: this test process keeps its own Chroma client open."""
    return subprocess.run([str(KBBOT), *args], capture_output=True, text=True, env=os.environ.copy())


def start_ingest(path: Path, log: Path) -> subprocess.Popen[bytes]:
    with open(log, "wb") as handle:
        return subprocess.Popen([str(KBBOT), "ingest", str(path)], stdout=handle, stderr=subprocess.STDOUT,
                                env=os.environ.copy())


@pytest.mark.slow
def test_a_killed_ingest_leaves_the_previous_version_serving_and_the_rerun_completes(ingested, tmp_path):
    big = tmp_path / "big.json"
    big.write_text(make_catalog(800, "2026-01-01").model_dump_json())
    log = tmp_path / "ingest.log"
    process = start_ingest(big, log)
    deadline = time.monotonic() + 120
    while "chunk" not in log.read_text(errors="replace") or "/" not in log.read_text(errors="replace"):
        assert process.poll() is None, log.read_text()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()

    reader = KnowledgeBase.open()
    assert reader.active_version == "2025-07-01"
    assert reader.search("系统很卡", k=1)[0].entry.id == "性能优化服务"
    assert [v.version for v in reader.versions()] == ["2025-07-01"]

    rerun = subprocess.run([str(KBBOT), "ingest", str(big), "--json"], capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    assert reader.active_version == "2026-01-01"
    [info] = json.loads(rerun.stdout)
    assert info["reused"] > 0  # the killed build's embeddings were picked up
    assert reader.search("财务数据迁移服务", k=1)[0].entry.id == "财务数据迁移服务"


def test_a_reader_searching_during_a_reingest_never_errs_nor_sees_a_mixed_version(ingested, catalog, tmp_path):
    edition = tmp_path / "edition.json"
    edition.write_text(next_edition(catalog, "2026-01-01", "二〇二六年版").model_dump_json())
    process = start_ingest(edition, tmp_path / "ingest.log")
    reader = KnowledgeBase.open()

    def edition_seen() -> str:
        hits = reader.search("升级服务包括什么", k=5)
        marked = {"二〇二六年版" in hit.entry.description for hit in hits}
        assert len(marked) == 1, "entries from two editions in one answer"
        return "new" if marked.pop() else "old"

    seen = [edition_seen()]
    while process.poll() is None:
        seen.append(edition_seen())
    assert process.returncode == 0, (tmp_path / "ingest.log").read_text()
    seen.append(edition_seen())
    assert seen[0] == "old" and seen[-1] == "new"
    assert seen == sorted(seen, key=["old", "new"].index)  # switched once, never back


@pytest.mark.parametrize("damage", ["registry", pytest.param("sqlite", marks=pytest.mark.slow),
                                    pytest.param("builds", marks=pytest.mark.slow)])
def test_a_corrupt_store_is_a_one_line_error_with_a_hint_and_rebuild_fixes_it(ingested, fake_home, damage):
    if damage == "registry":
        (fake_home / "registry.json").write_text("{not json")
    elif damage == "sqlite":
        (fake_home / "chroma" / "chroma.sqlite3").write_bytes(b"garbage" * 1000)
    else:
        for catalog_file in (fake_home / "builds").glob("*/catalog.json"):
            catalog_file.write_text("[]")
    result = kbbot_process("search", "升级", "--json")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("kbbot: error: ")
    assert "kbbot ingest --rebuild" in result.stderr and "Traceback" not in result.stderr

    rebuilt = kbbot_process("ingest", "--rebuild")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert list(fake_home.glob("aside-*/*"))  # the damaged store is set aside, not deleted
    assert kbbot_process("search", "升级", "--json").returncode == 0


def test_a_missing_chroma_store_is_reported_not_crashed(ingested, fake_home):
    import shutil

    shutil.rmtree(fake_home / "chroma")
    result = kbbot_process("search", "升级")
    assert result.returncode == 2 and "--rebuild" in result.stderr and "Traceback" not in result.stderr


def test_server_mode_works_and_recovers_when_the_server_returns(chroma_server, fake_home, catalog, monkeypatch):
    monkeypatch.setenv("KB_CHROMA_URL", chroma_server.url)
    knowledge_base = KnowledgeBase.open()
    knowledge_base.ingest(catalog)
    assert knowledge_base.search("系统很卡", k=1)[0].entry.id == "性能优化服务"
    assert not (fake_home / "chroma").exists()

    chroma_server.stop()
    with pytest.raises(ChromaUnavailable, match="unreachable"):
        knowledge_base.search("数据库换成达梦")
    result = kbbot("search", "升级")
    assert result.exit_code == 2 and "chroma run" in result.stderr

    chroma_server.start()
    assert knowledge_base.search("数据库换成达梦", k=1)[0].entry.id == "数据库转换服务"


def test_an_unreachable_server_at_start_is_a_clear_error(fake_home, monkeypatch):
    from tests.kb.conftest import free_port

    monkeypatch.setenv("KB_CHROMA_URL", f"http://127.0.0.1:{free_port()}")
    result = kbbot("ingest")
    assert result.exit_code == 2 and "unreachable" in result.stderr and "KB_CHROMA_URL" in result.stderr


def test_the_server_going_away_during_an_ingest_is_a_clear_error(chroma_server, fake_home, catalog, monkeypatch):
    monkeypatch.setenv("KB_CHROMA_URL", chroma_server.url)
    knowledge_base = KnowledgeBase.open()

    def stop_midway(count: int) -> None:
        chroma_server.stop()

    with pytest.raises(ChromaUnavailable):
        knowledge_base.ingest(catalog, progress=stop_midway)
    chroma_server.start()
    assert knowledge_base.versions() == []
    assert knowledge_base.ingest(catalog).active
