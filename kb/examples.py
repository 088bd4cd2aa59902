"""The example memory: labelled customer questions (product, clause, verdict, decline) whose nearest
neighbours vote on a new question's answer.

Written examples live in `data/examples/*.jsonl` (shipped) and `$KB_HOME/examples.jsonl` (added by
staff; a later line for the same question overrides an earlier one, so staff can correct a shipped
label). Each is checked against the active catalog edition: an example whose product is gone or whose
clause is no longer in its entry is stale and does not vote. A catalog none of whose products any
example names (another vendor's) is seeded from its own clause structure (kb.seed), so the memory is
never empty.

Vectors are the KB embedder's *query* vectors (an example is a question, compared with a question),
kept per embedder in `$KB_HOME/examples-<embedder>.npz` keyed by the question's hash, so an unchanged
example is never embedded twice; the shipped `data/examples/vectors-<embedder>.npz` seeds that cache.
`kb.knowledge_base` mirrors them into a Chroma collection per edition beside the clauses."""
from __future__ import annotations

import functools
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import BaseModel, Field, ValidationError, field_validator

from ingest.layout import ITEM_MARKER
from ingest.models import Catalog, entry_id
from kb.errors import KBError

if TYPE_CHECKING:
    from kb.word_votes import WordVotes

EXAMPLES_DIR = Path(__file__).resolve().parents[1] / "data" / "examples"
STAFF_FILE = "examples.jsonl"
STAFF_WRITER = "staff"
SEED_WRITER = "seed"
ExampleVerdict = Literal["included", "excluded", "not_listed"]


class ExampleError(KBError):
    """A malformed example file or an example naming no product of the catalog."""

    def __init__(self, message: str, hint: str = "fix the line, or see README 'Example memory'") -> None:
        super().__init__(message, hint)


class Example(BaseModel):
    """One labelled question: what a correct answer cites, says and whether it declines."""

    question: str = Field(min_length=1)
    lang: Literal["zh", "en"] = "zh"
    products: list[str] = Field(default_factory=list, description="catalog products that answer it, best first")
    clause: str | None = Field(default=None, description="the catalog text that decides it, verbatim")
    verdict: ExampleVerdict | None = None
    abstain: bool = False
    writer: str = STAFF_WRITER
    covered_by: list[str] = Field(default_factory=list, description="for not_listed: the product that does cover it")

    @field_validator("clause")
    @classmethod
    def _without_item_number(cls, clause: str | None) -> str | None:
        """A clause copied with its item number ("3、服务保障：…", "3）…") is that item: the number is
        numbering, written 3、 in one copy of the catalog and 3） in another, and an entry's items are stored
        without it (91 of one session's 525 new examples were stale for it alone)."""
        return ITEM_MARKER.sub("", clause, count=1) if clause else clause

    @property
    def key(self) -> str:
        """The question's identity (and its vector's): whitespace and case do not matter."""
        return question_key(self.question)


@functools.lru_cache(maxsize=16384)
def question_key(question: str) -> str:
    """Asked ~20,000 times when the memory loads (each example's question and masked question, often
    twice): a hash each time was a third of the load."""
    return hashlib.sha1("".join(question.lower().split()).encode("utf-8")).hexdigest()[:20]


def _compact(text: str) -> str:
    return "".join(text.split())


def read_example_file(path: Path) -> list[Example]:
    """Every line of one JSON Lines file; a bad line is an error naming the file and line."""
    examples = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise ExampleError(f"{path}: cannot be read ({error})") from error
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            examples.append(Example.model_validate_json(line))
        except ValidationError as error:
            detail = error.errors()[0]
            where = ".".join(str(part) for part in detail["loc"]) or "line"
            raise ExampleError(f"{path}:{number}: {where}: {detail['msg']}") from None
    return examples


def bundled_files(directory: Path = EXAMPLES_DIR) -> list[Path]:
    return sorted(directory.glob("*.jsonl"))


def staff_file(home: Path) -> Path:
    return home / STAFF_FILE


def load_examples(home: Path, directory: Path = EXAMPLES_DIR) -> list[Example]:
    """Shipped examples then staff ones; the last line for a question wins."""
    files = [*bundled_files(directory)]
    if staff_file(home).exists():
        files.append(staff_file(home))
    latest: dict[str, Example] = {}
    for path in files:
        for example in read_example_file(path):
            latest.pop(example.key, None)  # re-insert, so the order follows the winning line
            latest[example.key] = example
    return list(latest.values())


@dataclass(frozen=True)
class Stale:
    example: Example
    reason: str


@dataclass(frozen=True)
class ExampleCheck:
    """Which examples may vote on this catalog edition, and which stopped (with why)."""

    active: list[Example]
    stale: list[Stale]
    seeded: bool = False


def check_examples(examples: Sequence[Example], catalog: Catalog) -> ExampleCheck:
    """An example votes only while every product it names exists and its clause is still in that entry."""
    entries = {entry.id: entry for entry in catalog.entries}
    active, stale = [], []
    for example in examples:
        missing = [p for p in [*example.products, *example.covered_by] if entry_id(p) not in entries]
        if missing:
            stale.append(Stale(example, f"product {missing[0]!r} is not in the {catalog.catalog_version} edition"))
            continue
        if example.clause and example.products:
            owners = [entries[entry_id(p)] for p in example.products]
            if not any(_compact(example.clause) in _compact(entry.text) for entry in owners):
                stale.append(Stale(example, f"its clause changed in the {catalog.catalog_version} edition"))
                continue
        active.append(example)
    names_any = any(example.products for example in active)
    if not names_any:
        from kb.seed import seed_examples

        return ExampleCheck(active=[*active, *seed_examples(catalog)], stale=stale, seeded=True)
    return ExampleCheck(active=active, stale=stale)


def append_staff_example(home: Path, example: Example) -> None:
    """Append under the KB_HOME writer lock, so two staff saving at once never interleave a line."""
    from kb.locking import writer_lock

    home.mkdir(parents=True, exist_ok=True)
    with writer_lock(home, purpose="add an example"):
        with staff_file(home).open("a", encoding="utf-8") as handle:
            handle.write(example.model_dump_json(exclude_defaults=False) + "\n")


# -- vectors ---------------------------------------------------------------------------------------

def vector_file(directory: Path, slug: str) -> Path:
    return directory / f"examples-{slug}.npz"


def shipped_vector_file(slug: str, directory: Path = EXAMPLES_DIR) -> Path:
    return directory / f"vectors-{slug}.npz"


def read_vectors(path: Path) -> dict[str, np.ndarray]:
    if not path.exists():
        return {}
    try:
        with np.load(path) as data:
            keys = data["keys"].astype(str).tolist()
            matrix = data["vectors"].astype(np.float32)
            if "scales" in data:  # int8 rows (write_vectors); older caches hold float16 rows
                matrix *= data["scales"].astype(np.float32)[:, None]
            return dict(zip(keys, matrix, strict=True))
    except (OSError, ValueError, KeyError):
        return {}  # a torn or foreign cache costs only re-embedding


def quantize(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows as int8 times a per-row scale: a quarter of float32's bytes (the shipped file stays small
    enough for a repository), and cosines move by ~2e-4 on average (at most ~2e-3) for unit vectors."""
    scales = np.abs(matrix).max(axis=1, initial=0.0) / 127.0
    scales[scales == 0] = 1.0
    return np.round(matrix / scales[:, None]).astype(np.int8), scales.astype(np.float32)


def write_vectors(path: Path, vectors: dict[str, np.ndarray]) -> None:
    """Atomic: readers see the old cache or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    keys = sorted(vectors)
    matrix = np.stack([vectors[k] for k in keys]).astype(np.float32) if keys else np.zeros((0, 0), np.float32)
    rows, scales = quantize(matrix)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".examples-", suffix=".npz")
    os.close(handle)
    try:
        with open(temporary, "wb") as out:
            np.savez_compressed(out, keys=np.array(keys, dtype="S"), vectors=rows, scales=scales)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def embed_examples(examples: Iterable[Example], cache: dict[str, np.ndarray],
                   embed_query: Callable[[str], list[float]]) -> int:
    """Fill `cache` with the vectors it lacks; returns how many were embedded."""
    return embed_texts((example.question for example in examples), cache, embed_query)


def embed_texts(texts: Iterable[str], cache: dict[str, np.ndarray], embed_query: Callable[[str], list[float]]) -> int:
    """Vectors keyed by question_key(text); returns how many were embedded anew."""
    embedded = 0
    for text in texts:
        key = question_key(text)
        if key not in cache:
            cache[key] = np.asarray(embed_query(text), dtype=np.float32)
            embedded += 1
    return embedded


# Product names dominate e5 vectors ("数据结转服务怎么收费" is nearest to "数据结转服务是做什么的"), so the
# memory also compares questions with the product they are about replaced by one neutral word: what is
# asked (a price, a clause, a need) then decides the similarity. Only that product: in "升级服务包含数据
# 迁移吗" the second name is what is asked about.
NAME_MASK = "该服务"


def masked_example(example: Example, match: Callable[[str], Iterable]) -> str:  # noqa: ANN001 - kb.models.ProductMatch
    """The example's question with the names of the products it is labelled with (what it is about)
    masked; for a decline, every name (it is about none). `match` finds product names in a text."""
    own = {"".join(p.split()) for p in [*example.products, *example.covered_by]}
    spans = [(m.start, m.end) for m in match(example.question) if example.abstain or m.entry.id in own]
    return mask_names(example.question, spans)


def mask_names(text: str, spans: Iterable[tuple[int, int]]) -> str:
    for start, end in sorted(spans, reverse=True):
        text = text[:start] + NAME_MASK + text[end:]
    return text


# -- neighbours ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Neighbour:
    example: Example
    similarity: float


@functools.lru_cache(maxsize=1)
def single_threaded_blas() -> None:
    """numpy's OpenBLAS splits a 2,000 x 384 product over both cores; on a shared 2-core machine the
    second thread waits for a time slice (measured at load 7: p50 3 ms, p95 33 ms, against 0.05 ms and
    0.1 ms on one thread; the results bit-identical). Every BLAS call of kbbot is that small, so the
    whole process keeps one thread."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


class ExampleMemory:
    """The active examples with their unit vectors; nearest neighbours by cosine in numpy (2,000 x 384
    is a 0.05 ms product on one BLAS thread, less than a round trip to Chroma)."""

    def __init__(self, examples: Sequence[Example], vectors: dict[str, np.ndarray],
                 masked: dict[str, str] | None = None, tokens: Callable[[str], Sequence[str]] | None = None) -> None:
        """`vectors` by question key; `masked` maps an example's key to its question with product names
        masked (mask_names), whose vector is in `vectors` too (the question's own vector when absent);
        `tokens` splits a question into the words kb.word_votes counts (BM25's tokens)."""
        single_threaded_blas()
        self._tokens = tokens
        kept = [example for example in examples if example.key in vectors]
        self.examples = kept
        self._writers = np.array([example.writer for example in kept])
        self._matrix = _unit_rows([vectors[e.key] for e in kept])
        masked_keys = [question_key((masked or {}).get(e.key, e.question)) for e in kept]
        self._masked = _unit_rows([vectors.get(k, vectors[e.key]) for k, e in zip(masked_keys, kept, strict=True)])

        self.abstain = np.array([example.abstain for example in kept], dtype=bool)
        self.verdicts = np.array([example.verdict or "" for example in kept])
        self.clauses = np.array(["".join((example.clause or "").split()) for example in kept])
        self._products: dict[str, np.ndarray] = {}
        self._first: dict[str, np.ndarray] = {}
        for index, example in enumerate(kept):
            for position, product in enumerate(example.products):
                key = "".join(product.split())
                self._products.setdefault(key, np.zeros(len(kept), dtype=bool))[index] = True
                if position == 0:
                    self._first.setdefault(key, np.zeros(len(kept), dtype=bool))[index] = True

    def __len__(self) -> int:
        return len(self.examples)

    @functools.cached_property
    def word_votes(self) -> WordVotes | None:
        """Built on first use: counting every example's words is ~0.15 s a (re)load."""
        from kb.word_votes import WordVotes

        return WordVotes(self.examples, self._tokens) if self._tokens else None

    def about(self, product: str) -> np.ndarray:
        """Mask of the examples that name `product` (whitespace-insensitive)."""
        return self._products.get("".join(product.split()), np.zeros(len(self.examples), dtype=bool))

    def asked(self, product: str) -> np.ndarray:
        """Mask of the examples whose verdict is about `product`: their first product (a comparison's
        "环境部署服务包含日常运维吗，还是要另买私有云…" says no of 环境部署服务, nothing of 私有云)."""
        return self._first.get("".join(product.split()), np.zeros(len(self.examples), dtype=bool))

    def similarities(self, vector: Sequence[float] | np.ndarray, exclude_writers: Iterable[str] = (),
                     masked: bool = False) -> np.ndarray:
        """Cosine to every example (with `masked`, between name-masked questions); -inf for left-out
        writers (fitting across writers)."""
        if not self.examples:
            return np.zeros(0, dtype=np.float32)
        query = np.asarray(vector, dtype=np.float32)
        similarities = (self._masked if masked else self._matrix) @ (query / (np.linalg.norm(query) or 1.0))
        excluded = list(exclude_writers)
        if excluded:
            similarities = np.where(np.isin(self._writers, excluded), -np.inf, similarities)
        return similarities

    def neighbours(self, vector: Sequence[float] | np.ndarray, k: int = 8,
                   exclude_writers: Iterable[str] = ()) -> list[Neighbour]:
        """The `k` most similar examples, most similar first; `exclude_writers` leaves out a writer's own
        examples (fitting across writers)."""
        return self.nearest(self.similarities(vector, exclude_writers), k)

    def nearest(self, similarities: np.ndarray, k: int) -> list[Neighbour]:
        top = top_indices(similarities, k)
        return [Neighbour(self.examples[i], float(similarities[i])) for i in top if np.isfinite(similarities[i])]


def top_indices(scores: np.ndarray, k: int) -> np.ndarray:
    """The positions of the `k` highest scores, highest first, ties in position order: what
    `np.argsort(-scores, kind="stable")[:k]` gives, without sorting all ~10,000 examples per vote (0.5 ms
    each, several per answer)."""
    if len(scores) <= k:
        return np.argsort(-scores, kind="stable")
    negated = -scores
    kth = np.partition(negated, k - 1)[k - 1]
    candidates = np.flatnonzero(negated <= kth)  # every score tied with the k-th, in position order
    return candidates[np.argsort(negated[candidates], kind="stable")][:k]


def _unit_rows(rows: Sequence[np.ndarray]) -> np.ndarray:
    if not rows:
        return np.zeros((0, 1), np.float32)
    matrix = np.stack(rows).astype(np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms > 0, norms, 1.0)
