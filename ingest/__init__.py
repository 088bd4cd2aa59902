"""Catalog ingest: a catalog document (.txt .md .pdf .docx) -> a verified `Catalog` of entries."""
from __future__ import annotations

from pathlib import Path

from ingest.errors import IngestError
from ingest.models import Catalog, Entry
from ingest.parse import parse_text
from ingest.readers import read_document

# The newest bundled edition: file names carry the publish date.
BUNDLED_CATALOG: Path = max((Path(__file__).resolve().parents[1] / "data" / "catalog").glob("*.txt"))


def load_catalog(path: str | Path | None = None) -> Catalog:
    """Parse the catalog at `path` (the bundled catalog when None); IngestError on bad input."""
    document = Path(path) if path is not None else BUNDLED_CATALOG
    return parse_text(read_document(document), source=document.name)


__all__ = ["BUNDLED_CATALOG", "Catalog", "Entry", "IngestError", "load_catalog", "parse_text"]
