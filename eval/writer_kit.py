"""`kbbot eval kit DIR`: the folder a blind-set or example writer reads, and nothing of the bot.

A writer who never saw the code, eval/sets or the example memory is what makes a blind set blind, so the
kit is built from the catalog and the public format alone: the catalog as published, the same text one
clause per line (facts and clauses are copied from there, with the catalog's spacing), the product names,
eval-format.md, the blind-set brief, and a stdlib-only checker (examples writers use the same
checker with data/examples/BRIEF.md).
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from ingest import BUNDLED_CATALOG, Catalog, load_catalog

ROOT = Path(__file__).resolve().parents[1]
COPIED = {
    "eval-format.md": ROOT / "docs" / "eval-format.md",
    "BRIEF.md": ROOT / "eval" / "blind" / "BRIEF.md",
    "check.py": ROOT / "eval" / "kit_check.py",
}


def clause_lines(catalog: Catalog) -> str:
    """One `## product` heading per entry, then its description, numbered items and exclusions, one per line."""
    lines: list[str] = []
    for entry in catalog.entries:
        lines += [f"## {entry.product}", f"分类：{entry.category}", entry.description]
        lines += [f"{number}、{item}" for number, item in enumerate(entry.items, start=1)]
        lines += [f"- {exclusion}" for exclusion in entry.exclusions]
        lines.append("")
    return "\n".join(lines)


def build_kit(out: Path, catalog_path: Path | None = None) -> list[Path]:
    """Write the kit into `out` (created if missing); returns the files written."""
    source = catalog_path or BUNDLED_CATALOG
    catalog = load_catalog(source)
    out.mkdir(parents=True, exist_ok=True)
    written = [out / source.name, out / "catalog_clauses.md", out / "products.json"]
    shutil.copyfile(source, written[0])
    written[1].write_text(clause_lines(catalog), encoding="utf-8")
    written[2].write_text(json.dumps([e.product for e in catalog.entries], ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    for name, origin in COPIED.items():
        shutil.copyfile(origin, out / name)
        written.append(out / name)
    return written
