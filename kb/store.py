"""Chroma access: embedded PersistentClient under KB_HOME, or a server via KB_CHROMA_URL."""
from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from kb.chunks import embedding_text
from kb.errors import ChromaUnavailable, StoreCorrupt, disk_full, is_disk_full
from kb.models import Chunk
from kb.registry import REBUILD_HINT
from kb.settings import Settings

COLLECTION_PREFIX = "kb-"
EXAMPLES_PREFIX = "ex-"
BUILD_TIME = "%Y%m%d%H%M%S"


def collection_name(version: str, slug: str, build_id: str) -> str:
    return f"{COLLECTION_PREFIX}{version}-{slug}-{build_id}"


def new_build_id(now: datetime) -> str:
    """When the build began (UTC, to the second) and a random tail: unique, and tells a leftover's age."""
    return now.astimezone(UTC).strftime(BUILD_TIME) + uuid.uuid4().hex[:6]


def build_time(name: str) -> datetime | None:
    """When the build of collection `name` began; None for names of no build."""
    try:
        return datetime.strptime(name.rsplit("-", 1)[1][:14], BUILD_TIME).replace(tzinfo=UTC)
    except (IndexError, ValueError):
        return None


def connect(settings: Settings) -> Any:
    """A chromadb client; failures become one clear error with a hint."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        try:
            client = chromadb.HttpClient(host=url.hostname or "localhost", port=url.port or 8000,
                                         ssl=url.scheme == "https", settings=chroma_settings)
            client.heartbeat()
        except Exception as error:
            raise unavailable(settings.chroma_url) from error
        return client
    path = settings.home / "chroma"
    try:
        path.mkdir(parents=True, exist_ok=True)
        with _opening:
            if _opened.get(str(path), _identity(path)) != _identity(path):
                _forget_system(str(path))
            client = chromadb.PersistentClient(path=str(path), settings=chroma_settings)
            _opened[str(path)] = _identity(path)
        client.heartbeat()
    except Exception as error:
        if is_disk_full(error):
            raise disk_full(path) from error
        raise StoreCorrupt(f"the Chroma store at {path} cannot be opened: {first_line(error)}", REBUILD_HINT) from error
    return client


# chromadb shares one System per store path within a process and hands it to every new client. When
# `kbbot ingest --rebuild` in another process moves the store aside and builds a new one at the same path,
# that System still reads the old files: a client connecting afterwards must get a System of its own.
_opening = threading.Lock()
_opened: dict[str, tuple[int, int] | None] = {}  # store path -> its chroma.sqlite3 when this process opened it


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        status = (path / "chroma.sqlite3").stat()
    except OSError:
        return None
    return (status.st_dev, status.st_ino)


def _forget_system(path: str) -> None:
    """Out of chromadb's cache, not stopped: clients still holding it keep reading the old files until they
    let go (the server's loaded build while a rebuild runs)."""
    from chromadb.api.shared_system_client import SharedSystemClient

    SharedSystemClient._identifier_to_system.pop(path, None)


def unavailable(url: str) -> ChromaUnavailable:
    return ChromaUnavailable(
        f"the Chroma server at {url} is unreachable",
        "start it (`chroma run --path DIR --port PORT`) or unset KB_CHROMA_URL to use the embedded store",
    )


def first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def collection_names(client: Any) -> list[str]:
    return [getattr(c, "name", c) for c in client.list_collections()]


def reusable_embeddings(client: Any, slug: str, chunk_ids: Sequence[str]) -> dict[str, list[float]]:
    """Embeddings of unchanged chunks from any earlier build with the same embedder (ids are content-derived)."""
    found: dict[str, list[float]] = {}
    for name in collection_names(client):
        if not (name.startswith(COLLECTION_PREFIX) and f"-{slug}-" in name):
            continue
        missing = [identifier for identifier in chunk_ids if identifier not in found]
        if not missing:
            break
        try:
            collection = client.get_collection(name)
            for start in range(0, len(missing), 5000):
                got = collection.get(ids=missing[start : start + 5000], include=["embeddings"])
                found.update(zip(got["ids"], np.asarray(got["embeddings"]).tolist(), strict=True))
        except Exception:
            continue  # a half-written collection of a killed build: just embed those again
    return found


def build_collection(
    client: Any,
    name: str,
    chunks: Sequence[Chunk],
    embed: Callable[[list[str]], list[list[float]]],
    reused: dict[str, list[float]],
    progress: Callable[[int], None] = lambda n: None,
) -> int:
    """Create and fill the collection; returns how many chunks were embedded anew. chromadb directly:
    LangChain's Chroma cannot add precomputed (reused) embeddings."""
    collection = client.create_collection(name, metadata={"hnsw:space": "cosine"})
    batch = min(client.get_max_batch_size(), 512)
    reembedded = 0
    for start in range(0, len(chunks), batch):
        part = chunks[start : start + batch]
        fresh = [chunk for chunk in part if chunk.id not in reused]
        vectors = dict(zip([c.id for c in fresh], embed([embedding_text(c) for c in fresh]) if fresh else [], strict=True))
        reembedded += len(fresh)
        collection.add(
            ids=[c.id for c in part],
            embeddings=[reused.get(c.id) or vectors[c.id] for c in part],
            documents=[c.text for c in part],
            metadatas=[chunk_metadata(c) for c in part],
        )
        progress(len(part))
    if collection.count() != len(chunks):
        raise StoreCorrupt(f"collection {name} holds {collection.count()} chunks, expected {len(chunks)}", REBUILD_HINT)
    return reembedded


def chunk_metadata(chunk: Chunk) -> dict[str, str | int]:
    return {"entry_id": chunk.entry_id, "product": chunk.product, "category": chunk.category,
            "page": chunk.page, "kind": chunk.kind, "catalog_version": chunk.catalog_version}


def delete_collection(client: Any, name: str) -> None:
    try:
        client.delete_collection(name)
    except Exception:
        pass  # already gone: nothing to clean


def examples_collection_name(version: str, slug: str) -> str:
    return f"{EXAMPLES_PREFIX}{version}-{slug}"


def mirror_examples(client: Any, name: str, examples: Sequence[Any], vectors: dict[str, Any]) -> None:
    """The edition's example collection holds exactly the examples that vote on it (ids: question hashes)."""
    collection = client.get_or_create_collection(name, metadata={"hnsw:space": "cosine"})
    wanted = {example.key: example for example in examples if example.key in vectors}
    stored = set(collection.get(include=[])["ids"])
    gone = sorted(stored - set(wanted))
    if gone:
        collection.delete(ids=gone)
    fresh = [example for key, example in wanted.items() if key not in stored]
    batch = min(client.get_max_batch_size(), 512)
    for start in range(0, len(fresh), batch):
        part = fresh[start : start + batch]
        collection.add(
            ids=[e.key for e in part], embeddings=[np.asarray(vectors[e.key], dtype=np.float32).tolist() for e in part],
            documents=[e.question for e in part],
            metadatas=[{"products": "|".join(e.products), "verdict": e.verdict or "", "abstain": e.abstain,
                        "writer": e.writer} for e in part],
        )
