"""BM25 over jieba tokens, with product names and a domain glossary as user words and query expansion."""
from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

from ingest.models import Catalog, entry_id
from kb.language import read_yaml, words
from kb.models import Chunk

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
GLOSSARY_PATH = DATA_DIR / "glossary.yaml"
EXPANSION_WEIGHT = 0.5

_STOPWORDS = frozenset(words("stopwords"))  # data/language.yaml
_WORD = re.compile(r"\w", re.UNICODE)
_CJK = re.compile(r"[\u4e00-\u9fff]")
_LATIN = re.compile(r"^[a-z0-9&+\-. ]+$")


def load_glossary(path: Path = GLOSSARY_PATH) -> list[list[str]]:
    """Synonym groups; each is a list of terms (Chinese or English)."""
    groups = read_yaml(path)["groups"]
    return [[str(term) for term in group] for group in groups]


@lru_cache(maxsize=1)
def _jieba_dictionary():  # noqa: ANN202 - jieba has no type hints
    """jieba's main dictionary, loaded once per process. jieba keeps it marshalled in its cache file, but
    reads that with marshal.load on the open file, item by item: 0.7 s of each cold start, against
    0.2 s for the same bytes read at once. Without a readable cache jieba builds (and writes) it."""
    import marshal
    import tempfile

    import jieba

    jieba.setLogLevel(60)
    base = jieba.Tokenizer()
    cache = Path(base.tmp_dir or tempfile.gettempdir()) / "jieba.cache"  # jieba's name for its main dictionary's
    try:
        base.FREQ, base.total = marshal.loads(cache.read_bytes())
        base.initialized = True
    except (OSError, ValueError, EOFError, TypeError):
        base.initialize()
    return base


def private_jieba(user_words: Iterable[str] = ()):  # noqa: ANN201 - jieba has no type hints
    """A jieba instance of our own, so our user words never leak into other users of jieba; it starts
    from a copy of the once-loaded main dictionary instead of loading it again."""
    import jieba

    base = _jieba_dictionary()
    tokenizer = jieba.Tokenizer()
    tokenizer.FREQ, tokenizer.total, tokenizer.initialized = dict(base.FREQ), base.total, True
    for word in user_words:
        tokenizer.add_word(word, freq=50_000)
    return tokenizer


class Tokenizer:
    """BM25's tokens: jieba's search-mode words, lower-cased, without stopwords."""

    def __init__(self, user_words: Iterable[str] = ()) -> None:
        self._jieba = private_jieba(
            "".join(word.split()) for word in user_words if not _LATIN.match(word.lower())
        )
        # a query's glossary expansions are tokenised too, the same few hundred terms over and over
        # (19 texts a search, ~1 ms): remembered
        self._remembered = lru_cache(maxsize=4096)(self._tokens)

    def tokens(self, text: str) -> list[str]:
        return list(self._remembered(text))

    def _tokens(self, text: str) -> tuple[str, ...]:
        words = (word.strip().lower() for word in self._jieba.cut_for_search(text))
        return tuple(word for word in words if word and _WORD.search(word) and word not in _STOPWORDS)


class QueryExpander:
    """Adds the other terms of every glossary group a query mentions."""

    def __init__(self, groups: Sequence[Sequence[str]]) -> None:
        # each term with its matcher, built once: a query is checked against every term of the glossary
        self._groups = [[(term, self._matcher(term.lower())) for term in group] for group in groups]

    @staticmethod
    def _matcher(term: str) -> Callable[[str, str], bool]:
        """A test on (lowered query, lowered query without whitespace)."""
        if _LATIN.match(term):
            pattern = re.compile(rf"(?<![a-z]){re.escape(term)}(?:s|es|d|ed|ing)?(?![a-z])")
            return lambda lowered, squeezed: pattern.search(lowered) is not None
        squeezed_term = "".join(term.split())
        return lambda lowered, squeezed: squeezed_term in squeezed

    def expansions(self, query: str) -> list[str]:
        lowered = query.lower()
        squeezed = "".join(lowered.split())
        terms: list[str] = []
        for group in self._groups:
            mentioned = [matches(lowered, squeezed) for _, matches in group]
            if any(mentioned):
                terms += [term for (term, _), hit in zip(group, mentioned, strict=True) if not hit]
        return terms


# bm25s imports these when they are installed, for nothing at our index sizes: numba (ranx brings it) half
# a second of every cold start and ~80 MB of serving memory; scipy 0.3-0.7 s for a sparse matrix class
# that only building uses (`csc_backend="numpy"` builds the same arrays, and scoring is numpy either way)
_OPTIONAL_OF_BM25S = ("numba", "scipy")


def _bm25s():  # noqa: ANN202
    """bm25s on its numpy backends: the optional modules it would import are hidden during that one
    import; a process that already loaded one keeps it."""
    import sys

    if "bm25s" in sys.modules:
        import bm25s
        return bm25s
    hidden = [name for name in _OPTIONAL_OF_BM25S if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # makes `import name` raise ImportError
    try:
        import bm25s
    finally:
        for name in hidden:
            del sys.modules[name]
    return bm25s


class LexicalIndex:
    """BM25 (bm25s) over tokenised documents; `scores` returns one score per document, for fusion."""

    def __init__(self, tokenizer: Tokenizer, expander: QueryExpander, retriever) -> None:
        self.tokenizer = tokenizer
        self.expander = expander
        self._retriever = retriever

    @classmethod
    def build(cls, documents: Sequence[str], tokenizer: Tokenizer, expander: QueryExpander) -> LexicalIndex:
        retriever = _bm25s().BM25(csc_backend="numpy")
        retriever.index([tokenizer.tokens(document) or ["_"] for document in documents], show_progress=False)
        return cls(tokenizer, expander, retriever)

    def save(self, directory: Path) -> None:
        self._retriever.save(str(directory), show_progress=False)

    @classmethod
    def load(cls, directory: Path, tokenizer: Tokenizer, expander: QueryExpander) -> LexicalIndex:
        return cls(tokenizer, expander, _bm25s().BM25.load(str(directory), show_progress=False, verbosity=0))

    @property
    def size(self) -> int:
        return int(self._retriever.scores["num_docs"])

    @cached_property
    def _vocabulary(self) -> frozenset[str]:
        return frozenset(self._retriever.vocab_dict)

    def _score(self, tokens: list[str]) -> np.ndarray:
        known = [token for token in dict.fromkeys(tokens) if token in self._vocabulary]
        if not known:
            return np.zeros(self.size, dtype=np.float32)
        return self._retriever.get_scores(known)

    def scores(self, query: str) -> np.ndarray:
        """BM25 of the query's own tokens plus BM25 of its glossary expansions, down-weighted unless the
        query is in English: then the expansions are the only words the Chinese catalog can match."""
        own = self.tokenizer.tokens(query)
        expanded = [token for term in self.expander.expansions(query) for token in self.tokenizer.tokens(term)]
        weight = EXPANSION_WEIGHT if _CJK.search(query) else 1.0
        return self._score(own) + weight * self._score([t for t in expanded if t not in own])


FINGERPRINT_FILE = "fingerprint.txt"


def _fingerprint() -> str:
    """Changes when the glossary or the English names change, so a saved index is not used stale."""
    from kb.names import ENGLISH_NAMES_PATH

    digest = hashlib.sha1(GLOSSARY_PATH.read_bytes() + ENGLISH_NAMES_PATH.read_bytes())
    return digest.hexdigest()


@lru_cache(maxsize=4)
def _tokenizer(user_words: tuple[str, ...]) -> Tokenizer:
    return Tokenizer(user_words)


def make_tokenizer(catalog: Catalog) -> Tokenizer:
    """Product names (with and without 服务) and glossary terms are jieba user words."""
    names = [entry_id(entry.product) for entry in catalog.entries]
    stems = [name.removesuffix("服务") for name in names]
    glossary = [term for group in load_glossary() for term in group]
    return _tokenizer(tuple(dict.fromkeys(names + stems + glossary)))


def lexical_documents(chunks: Sequence[Chunk]) -> list[str]:
    """Each clause with its product's name; name clauses also carry the English names."""
    from kb.names import compact, load_english_names

    english = load_english_names()
    documents = []
    for chunk in chunks:
        if chunk.kind == "name":
            documents.append(" ".join([chunk.text, *english.get(compact(chunk.product), [])]))
        else:
            documents.append(f"{chunk.product} {chunk.text}")
    return documents


def build_lexical(catalog: Catalog, chunks: Sequence[Chunk]) -> LexicalIndex:
    return LexicalIndex.build(lexical_documents(chunks), make_tokenizer(catalog), QueryExpander(load_glossary()))


def save_lexical(directory: Path, catalog: Catalog, chunks: Sequence[Chunk]) -> None:
    build_lexical(catalog, chunks).save(directory)
    (directory / FINGERPRINT_FILE).write_text(_fingerprint())


def load_lexical(directory: Path, catalog: Catalog, chunks: Sequence[Chunk]) -> LexicalIndex:
    """The index saved at ingest time, or a fresh one when the glossary or the chunking changed since."""
    try:
        if (directory / FINGERPRINT_FILE).read_text() == _fingerprint():
            saved = LexicalIndex.load(directory, make_tokenizer(catalog), QueryExpander(load_glossary()))
            if saved.size == len(chunks):
                return saved
    except (OSError, ValueError, KeyError):
        pass  # missing or unreadable: rebuilt below from the stored catalog
    return build_lexical(catalog, chunks)
