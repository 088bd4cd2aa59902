"""The public face of the knowledge base: open, ingest a catalog edition, search, match product names."""
from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from ingest.models import Catalog
from kb import store
from kb.chunks import make_chunks
from kb.dense import DenseIndex
from kb.embeddings import embedder_slug, make_embeddings
from kb.errors import EmptyKnowledgeBase, KBError, StoreCorrupt, UnknownVersion
from kb.lexical import load_lexical, save_lexical
from kb.models import EntryHit, ProductMatch, VersionInfo
from kb.names import ProductMatcher
from kb.registry import REBUILD_HINT, Registry
from kb.retrieval import Fusion, Retriever
from kb.settings import Settings

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings


class KnowledgeBase:
    """Reads follow the registry: a search notices a newly activated build and switches to it whole."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.registry = Registry(settings.home)
        self.slug = embedder_slug(settings.embeddings)
        self._retriever: Retriever | None = None
        self._loaded_stamp: tuple[int, int] | None = None

    @classmethod
    def open(cls, settings: Settings | None = None) -> KnowledgeBase:
        """Cheap: nothing is read until the first search."""
        return cls(settings or Settings.from_env())

    @cached_property
    def client(self) -> Any:
        return store.connect(self.settings)

    @cached_property
    def embeddings(self) -> Embeddings:
        return make_embeddings(self.settings.embeddings)

    # -- reading ---------------------------------------------------------------------------------

    def _active_build(self) -> VersionInfo | None:
        data = self.registry.read()
        name = data.active.get(self.slug)
        return data.builds.get(name) if name else None

    def _state(self) -> Retriever:
        stamp = self.registry.stamp()
        if self._retriever is None or stamp != self._loaded_stamp:
            build = self._active_build()
            if build is None:
                raise EmptyKnowledgeBase(
                    f"no catalog has been ingested into {self.settings.home} with embedder {self.settings.embeddings}",
                    "run `kbbot ingest` (the bundled catalog) or `kbbot ingest PATH`",
                )
            self._retriever = self._load(build)
            self._loaded_stamp = stamp
        return self._retriever

    def _load(self, build: VersionInfo) -> Retriever:
        catalog = self.registry.load_catalog(build.collection)
        chunks = make_chunks(catalog)
        lexical = load_lexical(self.registry.build_dir(build.collection) / "bm25", catalog, chunks)
        dense: list[DenseIndex] = []  # connected on the first dense search: importing chromadb costs ~1 s,
        # and questions that name a product are answered without one (a faster cold `kbbot ask`)

        def dense_search(query: str, n: int, category: str | None) -> list[tuple[str, float]]:
            try:
                if not dense:
                    dense.append(DenseIndex(self.client.get_collection(build.collection), self.embeddings))
                return dense[0].search(query, n, category)
            except Exception as error:
                raise self._store_error(error, build.collection) from error

        return Retriever(catalog, chunks, lexical, ProductMatcher(catalog), dense_search)

    def _store_error(self, error: Exception, collection: str) -> KBError:
        if self.settings.chroma_url:
            try:
                self.client.heartbeat()
            except Exception:
                return store.unavailable(self.settings.chroma_url)
        return StoreCorrupt(f"collection {collection} cannot be read: {store.first_line(error)}", REBUILD_HINT)

    def ensure_ready(self) -> None:
        """With an empty KB, ingest the bundled catalog, so `ask` and `serve` work on a fresh machine."""
        if self._active_build() is None:
            from ingest import BUNDLED_CATALOG, load_catalog

            self.ingest(load_catalog(BUNDLED_CATALOG))

    @property
    def catalog(self) -> Catalog:
        return self._state().catalog

    @property
    def active_version(self) -> str:
        return self._state().catalog.catalog_version

    def search(self, query: str, k: int = 5, category: str | None = None, fusion: Fusion = "score") -> list[EntryHit]:
        """Ranked entries; `fusion` other than the default is for measuring (kb.quality)."""
        return self._state().search(query, k=k, category=category, fusion=fusion)

    def match_products(self, text: str) -> list[ProductMatch]:
        return self._state().matcher.match(text)

    def versions(self) -> list[VersionInfo]:
        """One line per catalog version: its active build, else its newest."""
        data = self.registry.read()
        active = data.active.get(self.slug)
        latest: dict[str, VersionInfo] = {}
        for name, info in data.builds.items():
            if info.embeddings != self.settings.embeddings:
                continue
            current = latest.get(info.version)
            if current is None or name == active or (current.collection != active and info.built_at > current.built_at):
                latest[info.version] = info.model_copy(update={"active": name == active})
        return [latest[version] for version in sorted(latest)]

    def version_catalog(self, version: str) -> Catalog:
        """The stored Catalog of an ingested version, so `diff` and the bot need no source file."""
        match = next((info for info in self.versions() if info.version == version), None)
        if match is None:
            known = ", ".join(info.version for info in self.versions()) or "none"
            raise UnknownVersion(f"unknown version {version!r} (ingested: {known})", "see `kbbot versions`")
        return self.registry.load_catalog(match.collection)

    # -- writing ---------------------------------------------------------------------------------

    def ingest(self, catalog: Catalog, progress: Callable[[int], None] = lambda n: None) -> VersionInfo:
        """Build the edition beside the serving one, verify it, then switch the pointer atomically."""
        started = time.perf_counter()
        chunks = make_chunks(catalog)
        build_id = datetime.now(UTC).strftime("%Y%m%d%H%M%S") + uuid.uuid4().hex[:6]
        name = store.collection_name(catalog.catalog_version, self.slug, build_id)
        client = self.client
        try:
            reused = store.reusable_embeddings(client, self.slug, [chunk.id for chunk in chunks])
            reembedded = store.build_collection(client, name, chunks, self.embeddings.embed_documents,
                                                reused, progress)
            self.registry.save_catalog(name, catalog)
            save_lexical(self.registry.build_dir(name) / "bm25", catalog, chunks)
        except BaseException as error:
            store.delete_collection(client, name)
            self.registry.remove_build_files(name)
            if isinstance(error, Exception) and not isinstance(error, KBError):
                raise self._store_error(error, name) from error
            raise
        info = VersionInfo(
            version=catalog.catalog_version, collection=name, embeddings=self.settings.embeddings,
            source=catalog.source, entries=len(catalog.entries), chunks=len(chunks), reembedded=reembedded,
            reused=len(chunks) - reembedded, seconds=round(time.perf_counter() - started, 3),
            built_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        with self.registry.update() as data:
            previous = data.active.get(self.slug)
            data.builds[name] = info
            data.active[self.slug] = name
            stale = [old for old, built in data.builds.items()
                     if built.version == info.version and built.embeddings == info.embeddings
                     and old not in (name, previous)]
            for old in stale:
                del data.builds[old]
            kept = set(data.builds)
        self._remove_leftovers(info.version, kept)
        return info.model_copy(update={"active": True})

    def _remove_leftovers(self, version: str, kept: set[str]) -> None:
        """Superseded builds of this version, and half-built ones of killed ingests (reused above)."""
        prefix = store.collection_name(version, self.slug, "")
        for name in store.collection_names(self.client):
            if name.startswith(prefix) and name not in kept:
                store.delete_collection(self.client, name)
                self.registry.remove_build_files(name)
