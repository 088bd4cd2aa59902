"""What a `kill -9` leaves behind (a collection, a build folder, an example collection) goes at a later ingest of
any edition, once it is an hour old; registered builds and their editions' examples never do."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from kb import store
from kb.registry import Registry
from kb.synthetic import make_catalog

# Everything of the build is written (collection, catalog, BM25, examples); the process dies before the switch.
KILLED_AFTER_EMBEDDING = """
import os, signal, sys
from kb import KnowledgeBase
from kb.registry import Registry

Registry.update = lambda self: os.kill(os.getpid(), signal.SIGKILL)
from kb.synthetic import make_catalog
KnowledgeBase.open().ingest(make_catalog(20, sys.argv[1]))
"""


def kill_an_ingest_after_embedding(version: str) -> None:
    killed = subprocess.run([sys.executable, "-c", KILLED_AFTER_EMBEDDING, version], capture_output=True, text=True,
                            env=os.environ.copy())
    assert killed.returncode == -signal.SIGKILL, killed.stderr


def left_by(version: str, knowledge_base) -> set[str]:
    names = {name for name in store.collection_names(knowledge_base.client) if f"-{version}-" in name}
    folders = {path.name for path in (knowledge_base.settings.home / "builds").glob(f"kb-{version}-*")}
    return names | {f"folder {name}" for name in folders}


def test_a_build_killed_after_embedding_is_removed_by_a_later_ingest_of_another_edition(ingested, fake_home):
    kill_an_ingest_after_embedding("2026-01-01")
    leftovers = left_by("2026-01-01", ingested)
    assert {name.split("-2026")[0] for name in leftovers} == {"kb", "ex", "folder kb"}, leftovers

    ingested.ingest(make_catalog(10, "2026-02-01"))
    assert left_by("2026-01-01", ingested) == leftovers  # younger than an hour: perhaps still being written

    ingested.clock = lambda: datetime.now(UTC) + timedelta(hours=2)
    ingested.ingest(make_catalog(10, "2026-03-01"))
    assert left_by("2026-01-01", ingested) == set()

    registry = Registry(fake_home).read()
    names = set(store.collection_names(ingested.client))
    assert set(registry.builds) <= names
    assert all((fake_home / "builds" / name / "catalog.json").is_file() for name in registry.builds)
    assert {f"ex-{version}-fake" for version in ("2025-07-01", "2026-02-01", "2026-03-01")} <= names
    assert ingested.active_version == "2026-03-01" and ingested.search("系统很卡", k=1)
    assert [info.version for info in ingested.versions()] == ["2025-07-01", "2026-02-01", "2026-03-01"]


def test_the_previous_build_of_an_edition_is_kept_however_old(ingested, catalog, fake_home):
    first = Registry(fake_home).read().active[ingested.slug]
    ingested.ingest(catalog)
    ingested.clock = lambda: datetime.now(UTC) + timedelta(days=30)
    ingested.ingest(make_catalog(10, "2026-02-01"))
    registry = Registry(fake_home).read()
    assert first in registry.builds and first in store.collection_names(ingested.client)
    assert (fake_home / "builds" / first / "catalog.json").is_file()


def test_on_a_chroma_server_only_builds_of_this_kb_home_are_removed(chroma_server, fake_home, tmp_path, monkeypatch):
    monkeypatch.setenv("KB_CHROMA_URL", chroma_server.url)
    monkeypatch.setenv("KB_HOME", str(tmp_path / "other_home"))
    kill_an_ingest_after_embedding("2026-01-01")  # another KB_HOME's build on the same server
    monkeypatch.setenv("KB_HOME", str(fake_home))
    kill_an_ingest_after_embedding("2026-04-01")  # ours

    from kb import KnowledgeBase

    knowledge_base = KnowledgeBase.open()
    knowledge_base.clock = lambda: datetime.now(UTC) + timedelta(hours=2)
    knowledge_base.ingest(make_catalog(10, "2026-02-01"))
    assert left_by("2026-04-01", knowledge_base) == set()
    others = {name for name in store.collection_names(knowledge_base.client) if "-2026-01-01-" in name}
    assert {name.split("-2026")[0] for name in others} == {"kb", "ex"}
