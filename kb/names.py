"""Find product names in a user's text: exact, without the 服务 suffix, near misses, and English names."""
from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from ingest.models import Catalog, Entry
from kb.language import compact, cue, read_yaml, words
from kb.models import ProductMatch

ENGLISH_NAMES_PATH = Path(__file__).resolve().parents[1] / "data" / "products_en.yaml"
SUFFIX = "服务"
MIN_FUZZY_STEM = 4  # a typo in a 2-3 character stem (信创, 培训) would match unrelated words
# a bare stem (升级, "training") is a common word too: it only nudges; a full name ranks first
SCORES = {"exact": 1.0, "alias": 0.5, "english": 1.0, "english_alias": 0.95, "english_word": 0.5}
# "现场服务包括…" is 现场服务 + 包括, not 现场服务包 + 括: a name cannot end inside these words
WORDS_ACROSS_END = words("words_across_name_end")  # data/language.yaml
NAME_CONJUNCTION = cue("name_conjunction")
WHOLE_NAME_KINDS = ("exact", "english", "english_alias")  # a name or alias written out, not a stem or near miss
DISPLAY_NAME_KINDS = ("exact", "english")  # the name itself, Chinese or English ("on site" is only an alias)
FUZZY_SCORE = 0.9  # a near miss of a full name outranks the bare stem it contains (信创服物 > 信创)
FUZZY_STEM_SCORE = 0.45
ENGLISH_FUZZY_CUTOFF = 90
MIN_PINYIN = 6  # "shengji" (升级) yes; two-letter syllable pairs like "peixun" are long enough too
NO_PHRASES = "PYPINYIN_NO_PHRASES"


def load_english_names(path: Path = ENGLISH_NAMES_PATH) -> dict[str, list[str]]:
    """Product id -> [English name, aliases...]; the first is the display name."""
    data = read_yaml(path) or {}
    return {compact(product): [spec["name"], *spec.get("aliases", [])] for product, spec in data.items()}


@dataclass(frozen=True)
class _Alias:
    entry: Entry
    text: str  # compact (Chinese) or lower-case (English)
    kind: str
    stem: str = ""  # the distinctive part a near miss must keep exactly, when it is short
    fuzzy: bool = True  # a near miss of it counts ("提供服务" is no typo of the short alias 提升服务)


_Candidate = tuple[_Alias, int, int, float, str]  # alias, start, end, score, match kind


def _english_pattern(name: str) -> re.Pattern[str]:
    # a name's words may come with any separator or none ("On-site Service": "on site service", "onsite service")
    words = re.findall(r"[a-z0-9&]+", name.lower())
    return re.compile(r"(?<![a-z0-9])" + r"[^a-z0-9&]*".join(map(re.escape, words)) + r"(?![a-z0-9])")


def _first_conjunct(stem: str) -> str | None:
    """A name that joins two things ("私有云部署与运维支持") is called by its first ("私有云部署服务会给我们
    提供服务器吗"): that part, when it is long enough to name one thing."""
    parts = NAME_CONJUNCTION.split(stem, maxsplit=1)
    return parts[0] if len(parts) == 2 and len(parts[0]) >= MIN_FUZZY_STEM - 1 else None


def _short_names(product: str, stem: str) -> list[str]:
    """Shorter names customers give a long one: without its first word when the catalog spells it in
    words ("苍穹 PaaS 实验室" -> PaaS实验室), and the shared head with the second of two joined things
    ("数据调整与清理" -> 数据清理; "私有云部署与运维支持" -> 私有云运维支持, 私有云运维), the head being the
    first part less its last two-character word. In dev and blind1-24, 24 questions named a product so
    (PaaS实验室 4, 数据清理 8, 私有云运维 12); none was matched before."""
    found = []
    spelled = product.split()
    if len(spelled) >= 3:
        found.append("".join(spelled[1:]))
    parts = NAME_CONJUNCTION.split(stem, maxsplit=1)
    if len(parts) == 2 and len(parts[0]) >= 4 and len(parts[1]) >= 2:
        head = parts[0][:-2]
        found += [head + parts[1], head + parts[1][:2]]
    return list(dict.fromkeys(name for name in found if len(name) >= 4))


def _strip_suffix(name: str, suffix: str) -> str:
    return name[: -len(suffix)] if name.endswith(suffix) else ""


class ProductMatcher:
    """Built once per catalog version and kept in memory; matching a question takes well under 1 ms."""

    def __init__(self, catalog: Catalog, english_names: dict[str, list[str]] | None = None) -> None:
        english_names = load_english_names() if english_names is None else english_names
        self._english_names = english_names
        self._chinese: list[_Alias] = []
        self._english: list[tuple[_Alias, re.Pattern[str]]] = []
        for entry in catalog.entries:
            name = compact(entry.product)
            stem = _strip_suffix(name, SUFFIX)
            self._chinese.append(_Alias(entry, name, "exact", stem if len(stem) < MIN_FUZZY_STEM else ""))
            if len(stem) >= 2:
                self._chinese.append(_Alias(entry, stem, "alias"))
            others = [compact(other.product) for other in catalog.entries if other is not entry]
            head = _first_conjunct(stem)
            if head and not any(head in other for other in others):
                self._chinese.append(_Alias(entry, head, "alias"))
            for short in map(compact, _short_names(entry.product, stem)):
                if not any(short in other for other in others):
                    self._chinese.append(_Alias(entry, short, "alias", fuzzy=False))
            # "诊断服务" for 业务应用诊断服务: the name's last word with 服务, when no other name has that word
            # and the name joins no two things (私有云部署与运维支持服务's last word is 运维支持's); exact only
            last = stem[-2:]
            if len(stem) > 2 and name.endswith(SUFFIX) and not head and not NAME_CONJUNCTION.search(stem) \
                    and not any(last in other for other in others):
                self._chinese.append(_Alias(entry, last + SUFFIX, "alias", fuzzy=False))
            for position, english in enumerate(english_names.get(name, [])):
                short = _strip_suffix(english.lower(), " service")
                for text, kind in ((english, "english" if position == 0 else "english_alias"),
                                   (short, "english_alias" if " " in short.strip() else "english_word")):
                    if text:
                        self._english.append((_Alias(entry, text.lower(), kind), _english_pattern(text)))
        self._fuzzy = [alias for alias in self._chinese if len(alias.text) >= MIN_FUZZY_STEM and alias.fuzzy]
        self._remembered: Callable[[str], tuple[ProductMatch, ...]] = lru_cache(maxsize=1024)(self._match)

    def english_name(self, product: str) -> str | None:
        """The display name the bot shows beside Chinese quotes in English answers."""
        names = self._english_names.get(compact(product))
        return names[0] if names else None

    def match(self, text: str) -> list[ProductMatch]:
        """Every product named in `text`, best first; overlapping spans keep the better, longer one.
        Remembered per text: one answer asks about the same question five times (~0.6 ms each)."""
        return list(self._remembered(text))

    def _match(self, text: str) -> tuple[ProductMatch, ...]:
        positions = [i for i, char in enumerate(text) if not char.isspace()]
        squeezed = "".join(text[i] for i in positions).lower()
        candidates = self._exact(squeezed, positions) + self._near_misses(squeezed, positions)
        candidates += self._english_matches(text)
        candidates += self._pinyin_matches(text)
        return tuple(_resolve(candidates, text))

    @cached_property
    def _pinyin_aliases(self) -> list[tuple[_Alias, str]]:
        """Every Chinese name and stem in toneless pinyin ("xinchuangfuwu"), built on the first question."""
        return [(alias, "".join(_pinyin(alias.text)[0])) for alias in self._chinese if len(alias.text) >= 2]

    def _pinyin_matches(self, text: str) -> list[_Candidate]:
        """Names typed partly or wholly in pinyin ("xinchuang服务", "现场服务bao") or with a homophone
        (生级服务): the question and the names compared as pinyin. A span with Latin letters must not cut a
        Latin word; an all-Chinese span counts only for a whole name (the exact ones are matched above)."""
        syllables, owners = _pinyin(text)
        spelled = "".join(syllables)
        position = [owner for syllable, owner in zip(syllables, owners) for _ in syllable]
        found = []
        for alias, pinyin in self._pinyin_aliases:
            if len(pinyin) < MIN_PINYIN:
                continue
            for hit in re.finditer(re.escape(pinyin), spelled):
                start, end = position[hit.start()], position[hit.end() - 1] + 1
                latin = any(char.isascii() and char.isalpha() for char in text[start:end])
                cuts_word = _latin_at(text, start - 1) and _latin_at(text, start) or _latin_at(text, end) and _latin_at(text, end - 1)
                if latin and not cuts_word:
                    found.append((alias, start, end, SCORES[alias.kind], "fuzzy"))
                    break
                if not latin and alias.kind == "exact" and compact(text[start:end]) != alias.text:
                    # a homophone typed for a whole name (生级服务 for 升级服务): a near miss, never a stem
                    found.append((alias, start, end, FUZZY_SCORE, "fuzzy"))
                    break
        return found

    def _exact(self, squeezed: str, positions: list[int]) -> list[_Candidate]:
        """A full name at every occurrence: in "现场服务包和现场服务的区别" the first 现场服务 lies inside 现场服务包,
        the second is the other product. A bare stem (现场) only at its first: it is also a common word."""
        found = []
        for alias in self._chinese:
            start = squeezed.find(alias.text)
            while start >= 0:
                end = start + len(alias.text)
                if squeezed[end - 1 : end + 1] not in WORDS_ACROSS_END:
                    found.append((alias, positions[start], positions[end - 1] + 1, SCORES[alias.kind], alias.kind))
                start = squeezed.find(alias.text, start + 1) if alias.kind == "exact" else -1
        return found

    def _near_misses(self, squeezed: str, positions: list[int]) -> list[_Candidate]:
        if not squeezed:
            return []
        found = []
        choices = [alias.text for alias in self._fuzzy]
        for _, _, index in process.extract(squeezed, choices, scorer=fuzz.partial_ratio, score_cutoff=60, limit=None):
            alias = self._fuzzy[index]
            window = _closest_window(alias.text, squeezed, max_distance=1 if len(alias.text) <= 7 else 2)
            if window is None:
                continue
            start, end, distance = window
            if distance == 0 or (alias.stem and alias.stem not in squeezed[start:end]):
                continue
            if _stem_then_other_words(alias.text, squeezed[start:end]):
                continue  # "定制开发维护管不管修": the stem 定制开发维护 (matched as such) and 管不, no typo of 服务
            score = (FUZZY_SCORE if alias.kind == "exact" else FUZZY_STEM_SCORE) - 0.05 * (distance - 1)
            found.append((alias, positions[start], positions[end - 1] + 1, score, "fuzzy"))
        return found

    def _english_matches(self, text: str) -> list[_Candidate]:
        lowered = text.lower()
        found: list[_Candidate] = []
        if not any("a" <= char <= "z" for char in lowered):
            return found  # most questions are all Chinese: no English name can match, skip the fuzzy scan
        for alias, pattern in self._english:
            # the display name at every occurrence ("the on-site service package and the on-site service");
            # shorter forms ("on site") only at their first
            hits = list(pattern.finditer(lowered))
            if alias.kind != "english":
                hits = hits[:1]
            found += [(alias, hit.start(), hit.end(), SCORES[alias.kind], "english") for hit in hits]
            if not hits and len(alias.text) >= 12:
                aligned = fuzz.partial_ratio_alignment(alias.text, lowered, score_cutoff=ENGLISH_FUZZY_CUTOFF)
                if aligned is not None:
                    score = FUZZY_SCORE * aligned.score / 100
                    found.append((alias, aligned.dest_start, aligned.dest_end, score, "fuzzy"))
        return found


def _stem_then_other_words(name: str, window: str) -> bool:
    """The window is the name's stem followed by words that keep nothing of its 服务 suffix."""
    stem = _strip_suffix(name, SUFFIX)
    return bool(stem) and window.startswith(stem) and not set(window[len(stem) :]) & set(SUFFIX)


def _pinyin(text: str) -> tuple[list[str], list[int]]:
    """Toneless pinyin of each Chinese character and each Latin letter as itself, with the index of the
    character it came from; everything else is dropped."""
    syllables, owners = [], []
    for index, char in enumerate(text):
        if "\u4e00" <= char <= "\u9fff":
            syllables.append(_syllable(char))
        elif char.isascii() and char.isalnum():
            syllables.append(char.lower())
        else:
            continue
        owners.append(index)
    return syllables, owners


@lru_cache(maxsize=8192)
def _syllable(char: str) -> str:
    _import_pypinyin()
    from pypinyin import Style, lazy_pinyin

    return lazy_pinyin(char, style=Style.NORMAL)[0]


def _import_pypinyin() -> None:
    """pypinyin without its phrase dictionary: a single character has no phrase to look up (each of
    U+4E00-U+9FFF gets the same syllable either way, tests/kb/test_names.py), and reading that
    dictionary cost 0.2-0.4 s of every cold start. A process that imported pypinyin keeps it as it is."""
    if "pypinyin" in sys.modules:
        return
    before = os.environ.get(NO_PHRASES)
    os.environ[NO_PHRASES] = "1"
    try:
        import pypinyin  # noqa: F401
    finally:
        if before is None:
            del os.environ[NO_PHRASES]
        else:
            os.environ[NO_PHRASES] = before


def _latin_at(text: str, index: int) -> bool:
    return 0 <= index < len(text) and text[index].isascii() and text[index].isalpha()


def _closest_window(alias: str, text: str, max_distance: int) -> tuple[int, int, int] | None:
    """The substring of `text` nearest to `alias` (lengths ±1), as (start, end, edit distance)."""
    best: tuple[int, int, int] | None = None
    size = len(alias)
    for length in (size, size - 1, size + 1):
        for start in range(0, len(text) - length + 1):
            distance = Levenshtein.distance(alias, text[start : start + length], score_cutoff=max_distance)
            if distance <= max_distance and (best is None or distance < best[2]):
                best = (start, start + length, distance)
    return best


def _written_out(candidate: _Candidate, kinds: tuple[str, ...]) -> bool:
    """A name or alias of these kinds typed as it is, not a near miss of one."""
    alias, _, _, _, match_kind = candidate
    return match_kind != "fuzzy" and alias.kind in kinds


def _inside(candidate: _Candidate, other: _Candidate) -> bool:
    """`candidate`'s span lies within the longer span of another product's name."""
    return (other[1] <= candidate[1] and candidate[2] <= other[2] and other[2] - other[1] > candidate[2] - candidate[1]
            and other[0].entry.id != candidate[0].entry.id)


def _resolve(candidates: list[_Candidate], text: str) -> list[ProductMatch]:
    # a name written out in full inside a longer one written out in full is part of it: "on-site service"
    # (现场服务's display name) inside "on-site service pack" (现场服务包's alias, scored a little lower);
    # that product's bare words elsewhere ("…40 person-days on site. Does the on-site service pack…") are
    # then the longer name's context, not a mention
    whole = [c for c in candidates if _written_out(c, WHOLE_NAME_KINDS)]
    inside = [c for c in candidates if any(_inside(c, other) for other in whole)]
    shadowed = {c[0].entry.id for c in inside}
    candidates = [c for c in candidates if c not in inside
                  and (c[0].entry.id not in shadowed or _written_out(c, DISPLAY_NAME_KINDS))]
    taken: list[tuple[int, int]] = []
    seen: set[str] = set()
    matches: list[ProductMatch] = []
    for alias, start, end, score, kind in sorted(candidates, key=lambda c: (-c[3], c[1], -(c[2] - c[1]))):
        if alias.entry.id in seen or any(start < t_end and t_start < end for t_start, t_end in taken):
            continue
        taken.append((start, end))
        seen.add(alias.entry.id)
        matches.append(ProductMatch(entry=alias.entry, start=start, end=end, text=text[start:end],
                                    score=round(score, 4), kind=kind))
    return matches
