"""What changed between two catalog editions: products added or removed, clauses added or removed."""
from __future__ import annotations

from pydantic import BaseModel

from ingest.models import Catalog, Entry
from kb.chunks import entry_clauses


class ChangedEntry(BaseModel):
    product: str
    added_clauses: list[str]
    removed_clauses: list[str]


class CatalogDiff(BaseModel):
    added: list[str]
    removed: list[str]
    changed: list[ChangedEntry]


def _clauses(entry: Entry) -> list[str]:
    return list(dict.fromkeys(text for kind, text in entry_clauses(entry) if kind != "name"))


def diff_catalogs(old: Catalog, new: Catalog) -> CatalogDiff:
    """Entries pair up by id (the name without whitespace); clauses compare verbatim, in catalog order."""
    old_entries = {entry.id: entry for entry in old.entries}
    new_entries = {entry.id: entry for entry in new.entries}
    changed = []
    for entry_id, entry in new_entries.items():
        if entry_id not in old_entries:
            continue
        before, after = _clauses(old_entries[entry_id]), _clauses(entry)
        added = [clause for clause in after if clause not in before]
        removed = [clause for clause in before if clause not in after]
        if added or removed:
            changed.append(ChangedEntry(product=entry.product, added_clauses=added, removed_clauses=removed))
    return CatalogDiff(
        added=[entry.product for entry_id, entry in new_entries.items() if entry_id not in old_entries],
        removed=[entry.product for entry_id, entry in old_entries.items() if entry_id not in new_entries],
        changed=changed,
    )
