"""Clause-level chunks: the unit that is embedded, indexed and quoted as evidence."""
from __future__ import annotations

import hashlib
import re

from ingest.models import Catalog, Entry
from kb.models import Chunk, ClauseKind

NOTES_ENTRY = "说明"
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;])")
_LEAD_IN = re.compile(r"^(具体)?服务内容(包括|如下)[：:]?$")  # "contents include:" says nothing by itself



_HEADING = re.compile(r"^([^：:，。；;,]{2,12})[：:]")


def heading(item: str) -> str | None:
    """An item's heading (方案制定 in 方案制定：…), None when it has none."""
    match = _HEADING.match(item.strip())
    return match.group(1) if match else None


def text_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def chunk_id(entry_id: str, kind: ClauseKind, text: str) -> str:
    """Derived from content, so an unchanged clause keeps its id (and its embedding) across editions."""
    return f"{entry_id}:{kind}:{text_hash(text)}"


def split_sentences(text: str) -> list[str]:
    parts = (part.strip() for part in _SENTENCE_END.split(text))
    return [part for part in parts if part and not _LEAD_IN.match(part)]


def entry_clauses(entry: Entry) -> list[tuple[ClauseKind, str]]:
    """The entry's clauses in catalog order; everything in the general-notes entry is a note."""
    notes = entry.id == NOTES_ENTRY
    clauses: list[tuple[ClauseKind, str]] = [("name", entry.product)]
    clauses += [("note" if notes else "description", sentence) for sentence in split_sentences(entry.description)]
    clauses += [("note" if notes else "item", item.strip()) for item in entry.items if item.strip()]
    clauses += [("exclusion", clause.strip()) for clause in entry.exclusions if clause.strip()]
    return clauses


def make_chunks(catalog: Catalog) -> list[Chunk]:
    chunks: dict[str, Chunk] = {}
    for entry in catalog.entries:
        for kind, text in entry_clauses(entry):
            identifier = chunk_id(entry.id, kind, text)
            chunks.setdefault(
                identifier,
                Chunk(
                    id=identifier,
                    entry_id=entry.id,
                    product=entry.product,
                    category=entry.category,
                    page=entry.page,
                    kind=kind,
                    text=text,
                    catalog_version=catalog.catalog_version,
                ),
            )
    return list(chunks.values())


def embedding_text(chunk: Chunk) -> str:
    """Clauses like 方案制定：… recur in many entries; the product name tells them apart."""
    return chunk.text if chunk.kind == "name" else f"{chunk.product}：{chunk.text}"
