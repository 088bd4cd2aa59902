"""An entry's body lines -> its text, description, numbered items and scope-limiting clauses.

Lines were broken at the column width, so they are re-joined: no space between CJK characters,
one space where the document spaces Latin words and numbers (`从 A 环境迁` + `移到 B 环境`).
Paragraphs start only at numbered items: whether a line ending in 。 closed a paragraph or merely
met the column edge cannot be told apart, so the text must not depend on it.
"""
from __future__ import annotations

import re

from ingest.layout import ITEM_MARKER

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK = re.compile(f"[{_HAN}]")
_CJK_GAP = re.compile(f"(?<=[{_HAN}，。；：、（）])\\s+(?=[{_HAN}，。；：、（）])")
# A clause runs between ，。；： and brackets, but a short aside such as （您） stays inside it.
_CLAUSE = re.compile(r"(?:[^，。；：（）,;:()！？!?\n]|[（(][^（）()\n]{1,4}[）)])+")
_EXCLUSION_PATTERNS = [
    re.compile(r"不包含|不包括|不含"),
    re.compile(r"以.*约定为准"),
    re.compile(r"由.*第三方.*负责交付"),
]


def _is_latin(char: str) -> bool:
    return char.isascii() and char.isalnum()


def join_fragments(left: str, right: str) -> str:
    """Re-join a line broken at the column width."""
    if not left or not right:
        return left + right
    a, b = left[-1], right[0]
    spaced = (_is_latin(a) and (_is_latin(b) or _CJK.match(b))) or (_CJK.match(a) and _is_latin(b))
    return f"{left} {right}" if spaced else left + right


def _close_cjk_gaps(line: str) -> str:
    """Chinese is written without spaces; one between two CJK characters is an extractor's artifact
    (a PDF line merged with the next one), not text."""
    return _CJK_GAP.sub("", line)


def paragraphs(lines: list[str]) -> list[str]:
    result: list[str] = []
    for line in map(_close_cjk_gaps, lines):
        if result and not ITEM_MARKER.match(line):
            result[-1] = join_fragments(result[-1], line)
        else:
            result.append(line)
    return result


def items(paragraph_list: list[str]) -> list[str]:
    """Numbered paragraphs with their numbering removed."""
    return [paragraph[ITEM_MARKER.match(paragraph).end():] for paragraph in paragraph_list
            if ITEM_MARKER.match(paragraph)]


def description(paragraph_list: list[str]) -> str:
    """Text before the first numbered item (all of it when nothing is numbered)."""
    leading = []
    for paragraph in paragraph_list:
        if ITEM_MARKER.match(paragraph):
            break
        leading.append(paragraph)
    return "\n".join(leading)


def exclusions(text: str) -> list[str]:
    """Clauses that limit scope, each a verbatim substring of `text`, in order, without repeats."""
    found: list[str] = []
    for match in _CLAUSE.finditer(text):
        clause = match.group(0).strip()
        if clause and clause not in found and any(p.search(clause) for p in _EXCLUSION_PATTERNS):
            found.append(clause)
    return found
