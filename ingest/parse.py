"""Text -> Catalog: group classified lines into entries.

A run of label lines opens an entry: the last label is the product, the one before it (if any)
the category, which stays in force until the next category. A product name broken at the column
width shows up as two labels; the column width is learned from breaks that can only be breaks (a
run of three labels, or a one-character tail), never from a list of known names.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest import clauses, safety
from ingest.errors import IngestError
from ingest.layout import Line, display_width, read_layout
from ingest.models import Catalog, Entry, entry_id

_DATE_IN_NAME = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
NOTES_CATEGORY = "说明"


@dataclass
class _Draft:
    product: str
    category: str
    page: int
    body: list[str] = field(default_factory=list)


def _learn_name_width(runs: list[list[Line]]) -> int | None:
    widths = [display_width(run[1].text) for run in runs if len(run) >= 3]
    widths += [display_width(run[0].text) for run in runs if len(run) == 2 and len(run[1].text) == 1]
    return max(widths) if widths else None


def _names(run: list[Line], name_width: int | None) -> list[Line]:
    """Join labels that are one name broken at the column width."""
    names: list[Line] = []
    continues = False
    for index, label in enumerate(run):
        if continues:
            names[-1] = Line(clauses.join_fragments(names[-1].text, label.text), names[-1].page, "label")
        else:
            names.append(label)
        is_last = index == len(run) - 1
        continues = (not is_last and name_width is not None
                     and display_width(label.text) >= name_width - 1)
    return names


def _label_runs(lines: list[Line]) -> list[list[Line]]:
    runs: list[list[Line]] = []
    previous = "body"
    for line in lines:
        if line.kind == "label":
            if previous != "label":
                runs.append([])
            runs[-1].append(line)
        previous = line.kind
    return runs


def _drafts(lines: list[Line], warnings: list[str]) -> list[_Draft]:
    name_width = _learn_name_width(_label_runs(lines))
    drafts: list[_Draft] = []
    category = ""
    run: list[Line] = []

    def open_entry() -> None:
        nonlocal category, run
        names = _names(run, name_width)
        run = []
        if len(names) > 2:
            warnings.append("label lines not understood, ignored: " + " / ".join(n.text for n in names[:-2]))
        if len(names) >= 2:
            category = names[-2].text
        product = names[-1]
        drafts.append(_Draft(product.text, category or product.text, product.page))

    for line in lines:
        if line.kind == "label":
            run.append(line)
            continue
        if run:
            open_entry()
        if line.kind == "notes":
            drafts.append(_Draft(line.text, NOTES_CATEGORY, line.page))
        elif drafts:
            drafts[-1].body.append(line.text)
        else:
            warnings.append(f"text before the first product ignored: {line.text[:40]!r}")
    if run:
        open_entry()
    return drafts


def _entry(draft: _Draft) -> Entry:
    paragraph_list = clauses.paragraphs(draft.body)
    text = "\n".join(paragraph_list)
    return Entry(
        id=entry_id(draft.product),
        product=draft.product,
        category=draft.category,
        page=draft.page,
        description=clauses.description(paragraph_list),
        items=clauses.items(paragraph_list),
        exclusions=clauses.exclusions(text),
        text=text,
    )


def parse_text(text: str, source: str = "<text>") -> Catalog:
    """Parse a whole catalog document (pages separated by "\\f", or a plain-text dump)."""
    clean, warnings = safety.scan(text.replace("\r\n", "\n").replace("\r", "\n"))
    if not clean.strip():
        raise IngestError(f"{source}: the document is empty")
    layout = read_layout(clean)
    warnings += layout.warnings
    drafts = _drafts(layout.lines, warnings)
    if not any(draft.body for draft in drafts):
        raise IngestError(f"{source}: no catalog entry found (no product followed by its description)")
    version = layout.catalog_version or _version_from_name(source)
    if version is None:
        raise IngestError(f"{source}: no publish date (发布日期 YYYY-MM-DD) found")
    # An entry without text cannot ground an answer; it is reported, not served.
    warnings += [f"product {draft.product!r} has no description; left out" for draft in drafts if not draft.body]
    entries = [_entry(draft) for draft in drafts if draft.body]
    _warn_duplicates(entries, warnings)
    return Catalog(catalog_version=version, source=source, entries=entries, warnings=warnings)


def _version_from_name(source: str) -> str | None:
    match = _DATE_IN_NAME.search(source)
    return "-".join(match.groups()) if match else None


def _warn_duplicates(entries: list[Entry], warnings: list[str]) -> None:
    seen: set[str] = set()
    for entry in entries:
        if entry.id in seen:
            warnings.append(f"product {entry.product!r} appears more than once")
        seen.add(entry.id)
