"""One writer at a time on a KB_HOME: concurrent `kbbot ingest` processes, --no-wait, --rebuild under the lock."""
from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from kb import KnowledgeBase
from kb.locking import writer_lock
from kb.registry import Registry
from kb.synthetic import make_catalog

KBBOT = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "kbbot"


def start_kbbot(*args: str, log: Path) -> subprocess.Popen[bytes]:
    with open(log, "wb") as handle:
        return subprocess.Popen([str(KBBOT), *args], stdout=handle, stderr=subprocess.STDOUT, env=os.environ.copy())


def wait_for_text(log: Path, text: str, process: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while text not in log.read_text(errors="replace"):
        assert process.poll() is None, f"exited {process.returncode} before printing {text!r}:\n{log.read_text()}"
        assert time.monotonic() < deadline, f"no {text!r} after {timeout} s:\n{log.read_text()}"
        time.sleep(0.05)


def test_two_ingests_of_one_edition_at_once_both_succeed_and_the_registry_points_at_a_whole_build(
        ingested, fake_home, tmp_path):
    big = tmp_path / "big.json"
    big.write_text(make_catalog(300, "2026-01-01").model_dump_json())
    processes = [start_kbbot("ingest", str(big), log=tmp_path / f"ingest-{n}.log") for n in (1, 2)]
    reader = KnowledgeBase.open()
    answered = 0
    while any(process.poll() is None for process in processes):
        assert reader.search("系统很卡", k=3), "the reader lost its knowledge base during the ingests"
        answered += 1
    for n, process in enumerate(processes, 1):
        assert process.wait() == 0, (tmp_path / f"ingest-{n}.log").read_text()
    assert answered > 0

    registry = Registry(fake_home).read()
    active = registry.active[reader.slug]
    assert registry.builds[active].version == "2026-01-01"
    assert (fake_home / "builds" / active / "catalog.json").is_file()
    assert reader.client.get_collection(active).count() == registry.builds[active].chunks
    for name, build in registry.builds.items():  # the kept previous builds are whole too
        assert (fake_home / "builds" / name / "catalog.json").is_file(), name
        assert reader.client.get_collection(name).count() == build.chunks, name
    assert reader.active_version == "2026-01-01" and reader.search("财务数据迁移服务", k=1)
    fresh = subprocess.run([str(KBBOT), "search", "系统很卡", "--json"], capture_output=True, text=True)
    assert fresh.returncode == 0, fresh.stderr  # what `kbbot serve` needs to start


def test_no_wait_exits_2_naming_the_holder(fake_home):
    with writer_lock(fake_home, "a test holding the lock"):
        result = subprocess.run([str(KBBOT), "ingest", "--no-wait"], capture_output=True, text=True)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("kbbot: error: ") and result.stderr.count("\n") == 1
    assert f"being written by pid {os.getpid()} " in result.stderr and "a test holding the lock" in result.stderr
    assert not (fake_home / "registry.json").exists()


def test_a_second_ingest_waits_for_the_holder_with_a_message_then_builds(fake_home, tmp_path):
    log = tmp_path / "ingest.log"
    with writer_lock(fake_home, "a test holding the lock"):
        process = start_kbbot("ingest", log=log)
        wait_for_text(log, f"waiting for pid {os.getpid()} ", process)
        assert process.poll() is None and not (fake_home / "registry.json").exists()
    assert process.wait(timeout=300) == 0, log.read_text()
    assert KnowledgeBase.open().active_version == "2025-07-01"


def test_rebuild_sets_the_store_aside_only_once_it_holds_the_lock(ingested, fake_home, tmp_path):
    log = tmp_path / "rebuild.log"
    with writer_lock(fake_home, "a test holding the lock"):
        process = start_kbbot("ingest", "--rebuild", log=log)
        wait_for_text(log, f"waiting for pid {os.getpid()} ", process)
        assert not list(fake_home.glob("aside-*")), "the store was moved aside while another process wrote to it"
        assert KnowledgeBase.open().active_version == "2025-07-01"
    assert process.wait(timeout=300) == 0, log.read_text()
    assert list(fake_home.glob("aside-*/registry.json")) and KnowledgeBase.open().active_version == "2025-07-01"

    with writer_lock(fake_home, "a test holding the lock"):
        refused = subprocess.run([str(KBBOT), "ingest", "--rebuild", "--no-wait"], capture_output=True, text=True)
    assert refused.returncode == 2 and f"pid {os.getpid()} " in refused.stderr, refused.stderr
    assert len(list(fake_home.glob("aside-*"))) == 1
