"""The bot's language knowledge: cue words, function words and negation/exclusion markers, read from
data/language.yaml. Code holds the mechanisms (how a cue is matched); the vocabularies live in data so
that a new cue is a data change, reviewed beside the other words of its group.

kb is upstream of bot, so kb.lexical, kb.names, bot.understand and bot.verdict all read from here."""
from __future__ import annotations

import re
import string
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

LANGUAGE_PATH = Path(__file__).resolve().parents[1] / "data" / "language.yaml"
_SLOT = re.compile(r"\{(\w+)\}")


class Group(BaseModel):
    """One class of cue. `words` match anywhere, `whole_words` only between word boundaries (English),
    `patterns` are raw regular expressions whose `{slot}` placeholders are filled with a word list."""

    words: list[str] = []
    whole_words: list[str] = []
    patterns: list[str] = []
    slots: dict[str, list[str]] = {}
    # a rewrite group: the standard form -> the forms that mean it (written Cantonese 唔 -> 不)
    rewrite: dict[str, list[str]] = {}

    def source(self) -> str:
        """One regular expression: the escaped words (and a rewrite group's forms), then the whole words, then
        the patterns."""
        # a rewrite group's forms, longest first (得唔得 before 唔)
        forms = sorted((form for group in self.rewrite.values() for form in group), key=len, reverse=True)
        alternatives = [re.escape(word) for word in [*self.words, *(form for form in forms if not form.isascii())]]
        whole_words = [*self.whole_words, *(form for form in forms if form.isascii())]  # "ten" is not in "often"
        if whole_words:
            # between Latin letters only: "这个升级服务cover数据迁移吗" mixes scripts with no space
            alternatives.append(r"(?<![A-Za-z0-9_])(?:" + "|".join(map(re.escape, whole_words)) + r")(?![A-Za-z0-9_])")
        alternatives += [_SLOT.sub(self._fill, pattern) for pattern in self.patterns]
        return "|".join(alternatives)

    def _fill(self, slot: re.Match[str]) -> str:
        words = self.slots.get(slot.group(1))
        return slot.group(0) if words is None else "|".join(map(re.escape, words))


class Language(BaseModel):
    groups: dict[str, Group]


def read_yaml(path: Path) -> Any:
    """A data file, parsed by libyaml when PyYAML has it: the same objects as yaml.safe_load for every
    file in data/, 5-9x faster (the pure-Python parser spent ~0.15 s of each cold `kbbot ask` on them)."""
    return yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


@lru_cache(maxsize=None)
def load_language(path: Path = LANGUAGE_PATH) -> Language:
    """The language file, read once."""
    return Language(groups=read_yaml(path))


def words(name: str) -> tuple[str, ...]:
    """A group's word list (for set membership, not matching)."""
    return tuple(load_language().groups[name].words)


@lru_cache(maxsize=None)
def cue(name: str, ignore_case: bool = True) -> re.Pattern[str]:
    """A group compiled to one regular expression."""
    return re.compile(load_language().groups[name].source(), re.IGNORECASE if ignore_case else 0)


@lru_cache(maxsize=None)
def _standard_forms(name: str) -> dict[str, str]:
    return {form: target for target, forms in load_language().groups[name].rewrite.items() for form in forms}


def rewritten(name: str, text: str) -> str:
    """`text` with every form of a rewrite group replaced by its standard form, longest forms first."""
    standard = _standard_forms(name)
    return cue(name, ignore_case=False).sub(lambda match: standard[match.group(0)], text) if standard else text


def compact(text: str) -> str:
    """The one text normaliser for comparing names and terms: no whitespace, lower case."""
    return "".join(text.split()).lower()


_BEYOND_WINDOW = 10  # characters before the number that can say "beyond"
_BEYOND_AFTER = 4  # ... and after its unit ("24人天以上", "最多24人天，超过的部分…")


@dataclass(frozen=True)
class Amount:
    """A number of the amount unit ("30 人天"); `beyond` when the text asks for more than it ("超过 24 人天")."""

    value: float
    beyond: bool = False


@lru_cache(maxsize=None)
def _number_values() -> dict[str, int]:
    return {form.lower(): int(value) for value, forms in load_language().groups["number_words"].rewrite.items()
            for form in forms}


def _number(values: list[int]) -> int:
    """十, 百 and hundred multiply the unit before them, English tens add, two units in a row are a range
    whose larger end counts (两三天 -> 3)."""
    total, unit = 0, 0
    for value in values:
        if value in (10, 100):
            total, unit = total + (unit or 1) * value, 0
        elif value >= 20:
            total += value
        else:
            unit = max(unit, value)
    return total + unit


def spelled_numbers(text: str) -> str:
    """`text` with numbers written in words as digits: 二十四 -> 24, 一百二十 -> 120, forty -> 40, twenty-four -> 24."""
    values = _number_values()
    runs: list[list[re.Match[str]]] = []
    for match in cue("number_words").finditer(text):
        gap = text[runs[-1][-1].end() : match.start()] if runs else "x"
        if len(gap) <= 1 and not gap.strip(" -"):
            runs[-1].append(match)
        else:
            runs.append([match])
    for run in reversed(runs):
        text = text[: run[0].start()] + str(_number([values[m.group(0).lower()] for m in run])) + text[run[-1].end() :]
    return text


def amounts(text: str) -> list[Amount]:
    """The amounts of the `amount` cue the text names, in order; numbers may be written in words."""
    text = spelled_numbers(text)
    beyond = cue("amount_beyond")
    found, previous_end = [], 0
    for match in cue("amount").finditer(text):
        start = max(previous_end, match.start() - _BEYOND_WINDOW)
        before = text[start : match.start()]
        cut = text[start - 1 : start + 1] if start else ""
        if cut.isascii() and cut.isalpha():  # the window cut a word in two: "cover" says no "over"
            before = before.lstrip(string.ascii_letters)
        found.append(Amount(float(match.group("value")), bool(beyond.search(before + " " + text[match.end() : match.end() + _BEYOND_AFTER]))))
        previous_end = match.end()
    return found
