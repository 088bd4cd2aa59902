"""Reading the flattened table: which line is a label (category/product cell), which is body text.

A catalog page is a three-column table (类别 / 服务产品 / 服务说明) flattened to lines. What is left
of the columns are layout cues, and this module reads only those: label cells are short lines
without sentence punctuation; body lines carry punctuation or fill the description column; a
column gap inside a line is a space between two CJK characters; a page break is "\\f", or, in a
plain-text dump, a line that starts with a space because its cell continues from the previous page.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Literal

LineKind = Literal["label", "body", "notes"]

# Widest label cell, in display columns (a CJK character is two): description lines are wider.
LABEL_MAX_WIDTH = 24

_SENTENCE_PUNCTUATION = set("，。；：、！？,;:!?")
_SENTENCE_END = tuple("。！？.!?")
_CELL_END = tuple("。！？.!?；;：:")
_CLAUSE_MARKS = tuple("，、,")
# A line broken at the column edge is at most this many display columns short of the typical
# broken line (proportional glyphs, a Latin word that did not fit).
_WRAP_SLACK = 4
_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_COLUMN_GAP = re.compile(rf"(?<=[{_CJK}])[ \t\u3000]+(?=[{_CJK}])")
ITEM_MARKER = re.compile(r"^\s*(?:[（(]\s*\d{1,2}\s*[）)]|\d{1,2}\s*[）)、]|\d{1,2}\.(?!\d))\s*")
_PUBLISH_DATE = re.compile(r"^发布日期\s*[:：]?\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_PAGE_MARKER = re.compile(r"^(?:第\s*)?(\d{1,3})\s*(?:/|of)\s*(\d{1,3})\s*页?$")
_NOTES_HEADING = re.compile(r"^(说明|备注|注意事项)\s*[:：]\s*(.*)$")


@dataclass(frozen=True)
class Line:
    """One non-blank line of the document, stripped, with the page it is printed on."""

    text: str
    page: int
    kind: LineKind


@dataclass
class Layout:
    """The document as classified lines plus what the header says about it."""

    lines: list[Line]
    catalog_version: str | None = None
    declared_pages: int | None = None
    pages: int = 1
    warnings: list[str] = field(default_factory=list)


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def is_label(text: str) -> bool:
    """A category or product cell: short, no sentence punctuation, not a numbered item."""
    return (
        0 < display_width(text) <= LABEL_MAX_WIDTH
        and not _SENTENCE_PUNCTUATION.intersection(text)
        and not ITEM_MARKER.match(text)
        and any(char.isalpha() for char in text)
    )


def _paged_lines(text: str) -> list[tuple[int, str]]:
    """Raw non-blank lines with their page numbers."""
    explicit = "\f" in text
    paged: list[tuple[int, str]] = []
    for page_index, page_text in enumerate(text.split("\f") if explicit else [text]):
        for raw in page_text.split("\n"):
            if not raw.strip():
                continue
            page = page_index + 1
            if not explicit:
                # A cell continued from the previous page is all a plain-text dump keeps of the
                # break: one indented line among flush ones (a block of them is just indentation).
                starts_new_page = bool(paged) and _indented(raw) and not _indented(paged[-1][1])
                page = paged[-1][0] + starts_new_page if paged else 1
            paged.append((page, raw))
    return paged


def _indented(raw: str) -> bool:
    return raw[0] in " \t\u3000"


def _is_column_header(text: str) -> bool:
    cells = text.split()
    return len(cells) >= 2 and all(is_label(cell) and display_width(cell) <= 12 for cell in cells)


def _split_cells(text: str, after_sentence_end: bool) -> tuple[list[str], str]:
    """Leading label cells written on the same line as body text (`苍穹 PaaS 实验室 金蝶提供…`).

    Only where a new cell may start (after a finished sentence or a label), so a stray space inside
    a running sentence is never taken for a column gap.
    """
    labels: list[str] = []
    rest = text
    while after_sentence_end:
        gap = _COLUMN_GAP.search(rest)
        if gap is None or not is_label(rest[: gap.start()]):
            break
        labels.append(rest[: gap.start()])
        rest = rest[gap.end():]
    return labels, rest


def read_layout(text: str) -> Layout:
    """Classify every line of `text` (\\n line ends, already cleaned of invisible characters)."""
    layout = Layout(lines=[])
    paged = _paged_lines(text)
    header_end = _column_header_index(paged)
    wrap_width = _wrap_width([" ".join(raw.split()) for _, raw in paged[header_end + 1:]])
    # Title and column header, which a multi-page document may repeat at the top of every page.
    running_header = {" ".join(raw.split()) for _, raw in paged[: header_end + 1]}
    previous: Line | None = None
    for index, (page, raw) in enumerate(paged):
        stripped = " ".join(raw.split())
        if date := _PUBLISH_DATE.match(stripped):
            year, month, day = date.groups()
            layout.catalog_version = layout.catalog_version or f"{year}-{int(month):02d}-{int(day):02d}"
            continue
        if marker := _PAGE_MARKER.match(stripped):
            layout.declared_pages = layout.declared_pages or int(marker.group(2))
            continue
        if index <= header_end or stripped in running_header:
            continue
        layout.pages = max(layout.pages, page)
        notes = _NOTES_HEADING.match(stripped)
        if notes and (not notes.group(2) or ITEM_MARKER.match(notes.group(2))):
            previous = Line(notes.group(1), page, "notes")
            layout.lines.append(previous)
            if not notes.group(2):
                continue
            stripped = notes.group(2)  # 说明：（1）… — the first clause on the heading's line
        cell_may_start = previous is None or previous.kind != "body" or previous.text.endswith(_SENTENCE_END)
        labels, rest = _split_cells(stripped, cell_may_start)
        layout.lines.extend(Line(label, page, "label") for label in labels)
        continued = not labels and _runs_on(previous, wrap_width)
        previous = Line(rest, page, "label" if is_label(rest) and not continued else "body")
        layout.lines.append(previous)
    if layout.declared_pages and layout.declared_pages != layout.pages:
        layout.warnings.append(
            f"the page marker says {layout.declared_pages} pages but {layout.pages} were found"
        )
    return layout


def _wrap_width(lines: list[str]) -> int | None:
    """Typical width of a description line broken at the column edge: the median unfinished line
    wider than a label cell (most of those are broken lines; a cell rarely ends unpunctuated)."""
    widths = sorted(display_width(line) for line in lines
                    if display_width(line) > LABEL_MAX_WIDTH and not line.endswith(_CELL_END))
    return widths[len(widths) // 2] if widths else None


def _runs_on(previous: Line | None, wrap_width: int | None) -> bool:
    """Whether the next line must continue `previous`: a body line cut mid-sentence at the column edge.

    Such a line ends in a clause mark (，、) or fills the column; a short unfinished last line of a
    cell does neither, so a label may follow it.
    """
    if previous is None or previous.kind != "body" or previous.text.endswith(_CELL_END):
        return False
    width = display_width(previous.text)
    fills_column = width > LABEL_MAX_WIDTH and (wrap_width is None or width >= wrap_width - _WRAP_SLACK)
    return previous.text.endswith(_CLAUSE_MARKS) or fills_column


def _column_header_index(paged: list[tuple[int, str]]) -> int:
    """Index of the column-header line (`类别 服务产品 服务说明`) if it precedes all body text, else -1."""
    for index, (_, raw) in enumerate(paged):
        stripped = " ".join(raw.split())
        if _PUBLISH_DATE.match(stripped) or _PAGE_MARKER.match(stripped):
            continue
        if _is_column_header(stripped):
            return index
        if not is_label(stripped):
            return -1
    return -1
