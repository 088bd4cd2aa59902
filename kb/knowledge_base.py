"""The public face of the knowledge base: open, ingest a catalog edition, search, match product names."""
from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ingest.models import Catalog
from kb import store
from kb.chunks import make_chunks
from kb.dense import DenseIndex
from kb.dense import MAX_QUERY_CHARS
from kb.embeddings import QueryVectors, embedder_slug, make_embeddings
from kb.errors import EmptyKnowledgeBase, KBError, StoreCorrupt, UnknownVersion, disk_full, is_disk_full
from kb.examples import (Example, ExampleCheck, ExampleError, ExampleMemory, append_staff_example, check_examples,
                         embed_examples, embed_texts, load_examples, masked_example, question_key, read_vectors,
                         shipped_vector_file, staff_file, vector_file, write_vectors)
from kb.locking import writer_lock
from kb.lexical import Tokenizer, load_lexical, make_tokenizer, save_lexical
from kb.models import EntryHit, ProductMatch, VersionInfo
from kb.names import ProductMatcher
from kb.registry import REBUILD_HINT, Registry
from kb.retrieval import Fusion, Retriever
from kb.settings import Settings

LEFTOVER_AGE = timedelta(hours=1)

MASKED_FILE = "examples-masked.json"
TOKENS_FILE = "examples-tokens.json"

if TYPE_CHECKING:
    from kb.embeddings import Embeddings


class KnowledgeBase:
    """Reads follow the registry: a search notices a newly activated build and switches to it whole."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.registry = Registry(settings.home)
        self.slug = embedder_slug(settings.embeddings)
        self._retriever: Retriever | None = None
        self._serving: VersionInfo | None = None  # the build self._retriever was loaded from
        self._loaded_stamp: tuple[int, int] | None = None
        self._reconnecting = threading.Lock()
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)  # tests move it to age leftovers
        self._memory: tuple[tuple, ExampleMemory, ExampleCheck] | None = None

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

    @cached_property
    def embed_query(self) -> QueryVectors:
        """The question's vector, computed once per text and shared by dense search and the example
        memory. Embedding cost grows with the square of the length: only the last characters count."""
        return QueryVectors(self.embeddings, MAX_QUERY_CHARS)

    def embed_queries(self, texts: Iterable[str]) -> None:
        """The vectors of several queries in one batch (embed_query then has them): an answer needs up to
        three before anything else can run."""
        self.embed_query.prefetch(texts)

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
                if self._retriever is not None:  # registry.json set aside by `kbbot ingest --rebuild`: answer
                    return self._retriever       # from the loaded build until the rebuilt one is active
                raise EmptyKnowledgeBase(
                    f"no catalog has been ingested into {self.settings.home} with embedder {self.settings.embeddings}",
                    "run `kbbot ingest` (the bundled catalog) or `kbbot ingest PATH`",
                )
            self._retriever, self._serving = self._load(build), build
            self._loaded_stamp = stamp
        return self._retriever

    def _load(self, build: VersionInfo) -> Retriever:
        catalog = self.registry.load_catalog(build.collection)
        chunks = make_chunks(catalog)
        lexical = load_lexical(self.registry.build_dir(build.collection) / "bm25", catalog, chunks)
        dense: list[tuple[Any, DenseIndex]] = []  # (client, index), connected on the first dense search:
        # importing chromadb costs ~1 s, and questions that name a product are answered without one

        def search(client: Any, query: str, n: int, category: str | None) -> list[tuple[str, float]]:
            if not dense or dense[0][0] is not client:
                dense[:] = [(client, DenseIndex(client.get_collection(build.collection), self.embed_query))]
            return dense[0][1].search(query, n, category)

        def dense_search(query: str, n: int, category: str | None) -> list[tuple[str, float]]:
            return self._reading(build.collection, lambda client: search(client, query, n, category))

        return Retriever(catalog, chunks, lexical, ProductMatcher(catalog), dense_search)

    def _reading(self, collection: str, read: Callable[[Any], Any]) -> Any:
        """`read(client)`, and once more on a new client when it fails: the embedded store may have been
        rebuilt by another process, or the Chroma server restarted. A second failure is the store's."""
        client = self.client
        try:
            return read(client)
        except KBError:
            raise
        except Exception:
            client = self._reconnect(client)
        try:
            return read(client)
        except KBError:
            raise
        except Exception as error:
            raise self._store_error(error, collection) from error

    def _reconnect(self, failed: Any) -> Any:
        """Drop the client that failed (unless another thread already did) and connect again."""
        with self._reconnecting:
            if self.__dict__.get("client") is failed:
                del self.__dict__["client"]
            return self.client

    def check_store(self) -> dict[str, Any]:
        """Cheap but real, for /healthz: the serving build's collection answers, with all of its chunks."""
        self._state()
        serving = self._serving
        assert serving is not None
        count = self._reading(serving.collection, lambda client: client.get_collection(serving.collection).count())
        if count != serving.chunks:
            raise StoreCorrupt(f"collection {serving.collection} holds {count} chunks, expected {serving.chunks}",
                               REBUILD_HINT)
        return {"collection": serving.collection, "chunks": count}

    def _store_error(self, error: Exception, collection: str) -> KBError:
        if is_disk_full(error):
            return disk_full(f"the Chroma server at {self.settings.chroma_url}" if self.settings.chroma_url
                             else self.settings.home / "chroma")
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

            with self.writing("first ingest of the bundled catalog"):
                if self._active_build() is None:  # another process may have built it while we waited
                    self.ingest(load_catalog(BUNDLED_CATALOG))

    @property
    def catalog(self) -> Catalog:
        return self._state().catalog

    @property
    def active_version(self) -> str:
        return self._state().catalog.catalog_version

    def search(self, query: str, k: int = 5, category: str | None = None, fusion: Fusion = "score",
               dense_query: str | None = None) -> list[EntryHit]:
        """Ranked entries; `fusion` other than the default is for measuring (kb.quality)."""
        return self._state().search(query, k=k, category=category, fusion=fusion, dense_query=dense_query)

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

    def writing(self, purpose: str, wait: bool = True) -> Any:
        """The KB_HOME writer lock (re-entrant): one ingest or example write at a time."""
        return writer_lock(self.settings.home, purpose, wait=wait)

    def ingest(self, catalog: Catalog, progress: Callable[[int], None] = lambda n: None,
               wait: bool = True) -> VersionInfo:
        """Build the edition beside the serving one, verify it, then switch the pointer atomically; one
        writer at a time (a second ingest waits, or raises KBLocked without `wait`)."""
        with self.writing(f"ingest {catalog.catalog_version}", wait=wait):
            return self._ingest(catalog, progress)

    def _ingest(self, catalog: Catalog, progress: Callable[[int], None]) -> VersionInfo:
        started = time.perf_counter()
        chunks = make_chunks(catalog)
        name = store.collection_name(catalog.catalog_version, self.slug, store.new_build_id(self.clock()))
        client = self.client
        try:
            self.registry.start_build(name)  # before the collection: what a killed ingest leaves is known ours
            reused = store.reusable_embeddings(client, self.slug, [chunk.id for chunk in chunks])
            reembedded = store.build_collection(client, name, chunks, self.embeddings.embed_documents,
                                                reused, progress)
            self.registry.save_catalog(name, catalog)
            save_lexical(self.registry.build_dir(name) / "bm25", catalog, chunks)
            check = self._sync_examples(catalog, self.registry.build_dir(name))
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
            examples=len(check.active), examples_seeded=check.seeded,
            stale_examples=[f"{stale.example.question} ({stale.reason})" for stale in check.stale],
            built_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        try:
            with self.registry.update() as data:
                previous = data.active.get(self.slug)
                data.builds[name] = info
                data.active[self.slug] = name
                stale = [old for old, built in data.builds.items()
                         if built.version == info.version and built.embeddings == info.embeddings
                         and old not in (name, previous)]
                for old in stale:
                    del data.builds[old]
                kept = dict(data.builds)
        except Exception:  # registry.json is replaced whole or not at all: nothing refers to the new build
            store.delete_collection(client, name)
            self.registry.remove_build_files(name)
            raise
        self._remove_leftovers(info.version, kept)
        return info.model_copy(update={"active": True})

    def _remove_leftovers(self, version: str, kept: dict[str, VersionInfo]) -> None:
        """Builds the registry does not refer to. Of this edition: superseded ones, and half-built ones of
        killed ingests (reused above). Of any other edition: what a killed ingest left, once an hour old (the
        writer lock keeps other ingests out, but one of an older kbbot might still be building). Only this
        KB_HOME's: on a Chroma server, builds with a folder here. An example collection goes with the last
        build of its edition."""
        this_edition = store.collection_name(version, self.slug, "")
        folders = set(self.registry.build_folders())
        now = self.clock()
        for name in sorted((set(store.collection_names(self.client)) | folders) - set(kept)):
            if not name.startswith(store.COLLECTION_PREFIX):
                continue
            started = store.build_time(name)
            abandoned = (started is not None and now - started > LEFTOVER_AGE
                         and (name in folders or not self.settings.chroma_url))
            if name.startswith(this_edition) or abandoned:
                store.delete_collection(self.client, name)
                self.registry.remove_build_files(name)
        names = store.collection_names(self.client)
        registered = {store.examples_collection_name(info.version, embedder_slug(info.embeddings))
                      for info in kept.values()}
        for name in names:
            edition = name.removeprefix(store.EXAMPLES_PREFIX)
            if (name.startswith(store.EXAMPLES_PREFIX) and name not in registered
                    and not any(other.startswith(f"{store.COLLECTION_PREFIX}{edition}-") for other in names)):
                store.delete_collection(self.client, name)

    def activate(self, version: str, wait: bool = True) -> tuple[VersionInfo, bool]:
        """Serve an edition ingested before again, without re-ingesting: its build is checked whole (stored
        catalog, every chunk in the store), then the registry pointer moves, replaced atomically under the
        writer lock like an ingest's switch. Readers follow at their next search. Returns the build and
        whether it was already active."""
        with self.writing(f"activate {version}", wait=wait):
            data = self.registry.read()
            active = data.active.get(self.slug)
            builds = {name: info for name, info in data.builds.items()
                      if info.version == version and info.embeddings == self.settings.embeddings}
            if not builds:
                known = ", ".join(info.version for info in self.versions()) or "none"
                raise UnknownVersion(f"unknown version {version!r} (ingested: {known})", "see `kbbot versions`")
            if active in builds:
                return builds[active].model_copy(update={"active": True}), True
            name = max(builds, key=lambda build: (builds[build].built_at, build))
            self.registry.load_catalog(name)
            count = self._reading(name, lambda client: client.get_collection(name).count())
            if count != builds[name].chunks:
                raise StoreCorrupt(f"collection {name} holds {count} chunks, expected {builds[name].chunks}",
                                   REBUILD_HINT)
            with self.registry.update() as current:
                current.active[self.slug] = name
        return builds[name].model_copy(update={"active": True}), False

    # -- the example memory ----------------------------------------------------------------------

    def _vector_cache(self) -> dict:
        """Known example vectors for this embedder: KB_HOME's cache over the shipped one."""
        vectors = read_vectors(shipped_vector_file(self.slug))
        vectors.update(read_vectors(vector_file(self.settings.home, self.slug)))
        return vectors

    def _masked_questions(self, examples: list[Example], matcher: ProductMatcher, build_dir: Path) -> dict[str, str]:
        """Each example's question with its product names masked (the names are the edition's)."""
        return _cached_per_example(build_dir / MASKED_FILE, examples, lambda e: masked_example(e, matcher.match))

    @staticmethod
    def _example_tokens(examples: list[Example], tokenizer: Tokenizer, build_dir: Path) -> Callable[[str], list[str]]:
        """BM25's tokens of a text (kb.word_votes), the examples' read from the build folder: jieba over
        6,000 questions was ~0.7 s of a cold `kbbot ask` (the user words are the edition's)."""
        known = _cached_per_example(build_dir / TOKENS_FILE, examples, lambda e: tokenizer.tokens(e.question))
        return lambda text: known.get(question_key(text)) or tokenizer.tokens(text)

    def _sync_examples(self, catalog: Catalog, build_dir: Path) -> ExampleCheck:
        """Check the examples against `catalog`, embed those never embedded (as asked and name-masked),
        and mirror the active ones into the edition's Chroma collection (`ex-<version>-<embedder>`)
        beside its clauses."""
        check = check_examples(load_examples(self.settings.home), catalog)
        vectors = self._vector_cache()
        masked = self._masked_questions(check.active, ProductMatcher(catalog), build_dir)
        self._example_tokens(check.active, make_tokenizer(catalog), build_dir)  # ready for the first answer
        embedded = embed_examples(check.active, vectors, self.embeddings.embed_query)
        embedded += embed_texts([masked[e.key] for e in check.active], vectors, self.embeddings.embed_query)
        if embedded:
            write_vectors(vector_file(self.settings.home, self.slug), vectors)
        store.mirror_examples(self.client, store.examples_collection_name(catalog.catalog_version, self.slug),
                              check.active, vectors)
        return check

    def _examples_stamp(self) -> tuple:
        path = staff_file(self.settings.home)
        try:
            stat = path.stat()
            return (self.registry.stamp(), stat.st_mtime_ns, stat.st_size)
        except OSError:
            return (self.registry.stamp(), 0, 0)

    def example_memory(self) -> ExampleMemory:
        """The examples that vote on the active edition; reloaded when staff add one or the edition
        changes (a stat per call), embedding only what is new."""
        stamp = self._examples_stamp()
        if self._memory is None or self._memory[0] != stamp:
            state = self._state()
            check = check_examples(load_examples(self.settings.home), state.catalog)
            vectors = self._vector_cache()
            build = self._active_build()
            build_dir = self.registry.build_dir(build.collection) if build else Path("/nonexistent")
            masked = self._masked_questions(check.active, state.matcher, build_dir)
            tokens = self._example_tokens(check.active, state.lexical.tokenizer, build_dir)
            embedded = embed_examples(check.active, vectors, self.embed_query)
            embedded += embed_texts([masked[e.key] for e in check.active], vectors, self.embed_query)
            if embedded:
                write_vectors(vector_file(self.settings.home, self.slug), vectors)
            self._memory = (stamp, ExampleMemory(check.active, vectors, masked, tokens=tokens), check)
        return self._memory[1]

    def examples_check(self) -> ExampleCheck:
        self.example_memory()
        assert self._memory is not None
        return self._memory[2]

    def add_example(self, example: Example) -> Example:
        """A staff example: checked against the active edition, stored in KB_HOME, embedded now, and
        voting from the next answer on."""
        catalog = self.catalog
        unknown = [p for p in [*example.products, *example.covered_by] if catalog.entry(p) is None]
        if unknown:
            raise ExampleError(f"unknown product {unknown[0]!r} in the {catalog.catalog_version} edition",
                               "see `kbbot catalog` for the product names")
        if not example.abstain and not example.products:
            raise ExampleError("an example needs --product or --abstain")
        if example.abstain and (example.products or example.verdict):
            raise ExampleError("a declined example names no product and no verdict")
        if example.clause and not any("".join(example.clause.split()) in "".join(catalog.entry(p).text.split())
                                      for p in example.products):
            raise ExampleError("the clause is not text of the example's product", "copy it from `kbbot catalog`")
        named = example.model_copy(update={"products": [catalog.entry(p).product for p in example.products]})
        with self.writing("add an example"):
            append_staff_example(self.settings.home, named)
            vectors = read_vectors(vector_file(self.settings.home, self.slug))
            masked = masked_example(named, self.match_products)
            if embed_texts([named.question, masked], vectors, self.embed_query):
                write_vectors(vector_file(self.settings.home, self.slug), vectors)
        return named


def _cached_per_example(path: Path, examples: list[Example], compute: Callable[[Example], Any]) -> dict[str, Any]:
    """`compute(example)` by example key, cached as JSON in a build folder: a cache, so a torn or missing
    file is recomputed, and one that cannot be written is not an error."""
    try:
        known = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        known = {}
    missing = [e for e in examples if e.key not in known]
    for example in missing:
        known[example.key] = compute(example)
    if missing and path.parent.is_dir():
        try:
            path.write_text(json.dumps(known, ensure_ascii=False), encoding="utf-8")
        except OSError:
            pass
    return known
