"""Indirect prompt-injection defence: a catalog is data, so instruction-like text in it is flagged.

The bot puts catalog text into prompts; text that talks to the model ("ignore previous
instructions", "你现在是…"), hides from the reader (zero-width characters, markup) or would load a
remote URL in a browser (Markdown images) must be seen by a human before it is served. Flagged text is
kept (it may be a legitimate clause); invisible characters are removed, because nothing a customer can
read depends on them.
"""
from __future__ import annotations

import re
import unicodedata

_INSTRUCTION_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("instruction override", re.compile(
        r"\b(ignore|disregard|forget)\s+(all\s+)?(the\s+)?(previous|prior|above|earlier)\s+"
        r"(instructions?|prompts?|rules?|messages?)", re.I)),
    ("instruction override", re.compile(r"(忽略|无视|忘记|忘掉)(掉)?(以上|之前|上面|前面|先前|所有)(的)?(所有)?(指令|指示|提示|规则|要求|内容)")),
    ("system prompt reference", re.compile(r"system\s*prompt|系统提示(词)?", re.I)),
    ("role reassignment", re.compile(r"你现在是|从现在(开始|起)你|you\s+are\s+now\b", re.I)),
    ("chat role marker", re.compile(r"^\s*(system|assistant|developer)\s*[:：]|<\|im_start\|>|\[/?INST\]", re.I)),
    ("markup", re.compile(r"<\s*/?\s*(script|iframe|style|img|a|div|span|svg|object|embed|html|body)\b[^>]*>|<!--", re.I)),
]

# Markdown that makes a browser load a URL wherever the text is rendered: images in every form (inline,
# protocol-relative, reference and shortcut), and the reference definitions that give such images a URL.
_REMOTE_CONTENT_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("image", re.compile(r"!\[[^\]\n]*\](?:\([^)\n]*\)|\[[^\]\n]*\])?")),
    ("link reference", re.compile(r"\[[^\]\n]+\]:[ \t]*\S+")),
]

# Format (Cf) characters such as U+200B..U+200F, U+2060, U+FEFF, and control characters other than
# the line/page structure the parser reads (\n, \f) and tabs.
_KEPT_CONTROLS = {"\n", "\f", "\t"}


def _is_invisible(char: str) -> bool:
    category = unicodedata.category(char)
    return (category == "Cf") or (category == "Cc" and char not in _KEPT_CONTROLS)


def strip_invisible(text: str) -> tuple[str, int]:
    """Remove zero-width and control characters; return the clean text and how many were removed."""
    clean = "".join(char for char in text if not _is_invisible(char))
    return clean, len(text) - len(clean)


def scan(text: str) -> tuple[str, list[str]]:
    """Clean `text` and describe everything suspicious in it, one warning per finding."""
    warnings: list[str] = []
    first_bom_dropped = text[1:] if text.startswith("\ufeff") else text
    clean, removed = strip_invisible(first_bom_dropped)
    if removed:
        warnings.append(f"removed {removed} hidden (zero-width or control) character(s)")
    for line_number, line in enumerate(clean.split("\n"), start=1):
        for label, pattern in _INSTRUCTION_PATTERNS:
            match = pattern.search(line)
            if match:
                warnings.append(f"line {line_number}: instruction-like text ({label}): {match.group(0)!r}")
        for label, pattern in _REMOTE_CONTENT_PATTERNS:
            match = pattern.search(line)
            if match:
                warnings.append(f"line {line_number}: Markdown image syntax ({label}; shown as text, a browser"
                                f" rendering it would load the URL): {match.group(0)!r}")
                break
    return clean, warnings
