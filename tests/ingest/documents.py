"""The bundled catalog re-written in every supported format, for the reader tests."""
from __future__ import annotations

from itertools import groupby
from pathlib import Path

import pytest

from ingest.models import Catalog

from tests.conftest import BUNDLED_CATALOG

CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")


def bundled_pages() -> list[list[str]]:
    """The bundled catalog's non-blank lines, split where the original's pages break.

    In the plain-text dump a page break shows as a cell line continued with a leading space.
    """
    pages: list[list[str]] = [[]]
    for line in BUNDLED_CATALOG.read_text(encoding="utf-8").split("\n"):
        if not line.strip():
            continue
        if line[0] == " " and pages[-1]:
            pages.append([])
        pages[-1].append(line.strip())
    return pages


def write_pdf(pages: list[list[str]], path: Path) -> Path:
    from fpdf import FPDF

    if not CJK_FONT.exists():
        pytest.skip("fonts-wqy-microhei is not installed (bash .ci/system-deps)")
    pdf = FPDF()
    pdf.add_font("wqy", fname=str(CJK_FONT))
    pdf.set_font("wqy", size=8)
    pdf.set_auto_page_break(False)
    for lines in pages:
        pdf.add_page()
        for line in lines:
            pdf.cell(text=line, h=4.5, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    return path


def write_pdf_table(catalog: Catalog, path: Path) -> Path:
    """The catalog as a real three-column PDF table: category cells spanning their products' rows,
    text wrapped character by character at the column edge as Chinese typesetting does."""
    from fpdf import FPDF
    from fpdf.enums import WrapMode
    from fpdf.fonts import FontFace

    if not CJK_FONT.exists():
        pytest.skip("fonts-wqy-microhei is not installed (bash .ci/system-deps)")
    pdf = FPDF()
    pdf.add_font("wqy", fname=str(CJK_FONT))
    pdf.set_font("wqy", size=9)
    pdf.add_page()
    pdf.cell(text=f"发布日期 {catalog.catalog_version}", new_x="LMARGIN", new_y="NEXT")
    with pdf.table(col_widths=(22, 30, 110), text_align="LEFT", line_height=5, wrapmode=WrapMode.CHAR,
                   headings_style=FontFace(emphasis=None)) as table:
        table.row(["类别", "服务产品", "服务说明"])
        for category, group in groupby(catalog.entries, key=lambda entry: entry.category):
            entries = list(group)
            for index, entry in enumerate(entries):
                row = table.row()
                if index == 0:
                    row.cell(category, rowspan=len(entries))
                row.cell(entry.product)
                row.cell(entry.text)
    pdf.output(str(path))
    return path


def write_docx(pages: list[list[str]], path: Path) -> Path:
    from docx import Document

    document = Document()
    for number, lines in enumerate(pages):
        if number:
            document.add_page_break()
        for line in lines:
            document.add_paragraph(line)
    document.save(str(path))
    return path
