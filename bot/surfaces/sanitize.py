"""Make question, answer and catalog text safe to render as Markdown in a browser.

Markup typed by a customer, echoed back by a model or written into a catalog must show as text and run
nothing, and no text may make the page fetch an image (a tracking pixel, or a leak through its URL).
Catalog text is untrusted input, and it is rendered in many places (chat quotes, the staff search,
catalog and diff views): there it goes through `escape_markdown`, which leaves no Markdown at all.
"""
from __future__ import annotations

import re

# Every ASCII punctuation character may be backslash-escaped in CommonMark; escaping them all leaves no
# emphasis, link, image, heading, list, table, code or reference definition in the text. &, < and > are
# written as character references instead (after this, so their `;` stays unescaped).
_MARKDOWN_PUNCTUATION = re.compile(r"([!\"#$%'()*+,\-./:;=?@\[\\\]^_`{|}~])")
# An image is always `![` (inline, reference and shortcut forms alike), whatever its URL looks like.
_IMAGE_START = re.compile(r"!\[")
# Answers quote the catalog in 「」 (the house style of compose and of the validated LLM phrasing).
_QUOTE = re.compile(r"「([^「」]*)」")


def escape_markup(text: str) -> str:
    """Escape &, < and > so any HTML in the text is displayed, not interpreted (for HTML contexts such as
    a <summary> line, where Markdown is not parsed)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_markdown(text: str) -> str:
    """Catalog text (clauses, quotes, product and category names) for a Markdown context: shown exactly as
    written, on one line, with no markup and nothing fetched."""
    return escape_markup(_MARKDOWN_PUNCTUATION.sub(r"\\\1", " ".join(text.split())))


def safe_markdown(text: str) -> str:
    """Answer or question text, whose own Markdown (bold product names, lists) is kept: no HTML, image
    syntax of any form shown as text instead of loading its URL, and catalog quotes (in 「」) escaped
    completely, as `escape_markdown` does."""
    pieces = _QUOTE.split(text)  # frame, quote, frame, quote, …, frame
    return "".join(f"「{escape_markdown(piece)}」" if n % 2 else _IMAGE_START.sub(r"!\\[", escape_markup(piece))
                   for n, piece in enumerate(pieces))
