"""Every supported format parses to the same entries as the bundled .txt; bad input is rejected."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from ingest import IngestError, load_catalog
from ingest.models import Catalog
from tests.conftest import BUNDLED_CATALOG
from tests.ingest.documents import bundled_pages, write_docx, write_pdf, write_pdf_table


@pytest.fixture(scope="module")
def reference() -> Catalog:
    return load_catalog(BUNDLED_CATALOG)


def _same_entries(catalog: Catalog, reference: Catalog) -> None:
    assert catalog.catalog_version == reference.catalog_version
    assert catalog.warnings == []
    assert [e.model_dump() for e in catalog.entries] == [e.model_dump() for e in reference.entries]


def test_bundled_path_is_the_default(reference: Catalog) -> None:
    from ingest import BUNDLED_CATALOG as exported

    assert exported == BUNDLED_CATALOG
    assert load_catalog() == reference


@pytest.mark.parametrize("encoding", ["gbk", "utf-16", "utf-8-sig", "utf-16-le"])
def test_encodings(tmp_path: Path, bundled_text: str, reference: Catalog, encoding: str) -> None:
    path = tmp_path / "catalog-2025-07-01.txt"
    data = bundled_text.encode(encoding)
    if encoding == "utf-16-le":
        data = "\ufeff".encode(encoding) + data  # a BOM written by hand
    path.write_bytes(data)
    _same_entries(load_catalog(path), reference)


def test_markdown_copy_and_crlf(tmp_path: Path, bundled_text: str, reference: Catalog) -> None:
    path = tmp_path / "catalog.md"
    path.write_bytes(bundled_text.replace("\n", "\r\n").encode("utf-8"))
    _same_entries(load_catalog(path), reference)


def test_markdown_keeps_form_feed_pages(tmp_path: Path, reference: Catalog) -> None:
    path = tmp_path / "catalog.md"
    path.write_text("\f".join("\n".join(lines) for lines in bundled_pages()), encoding="utf-8")
    _same_entries(load_catalog(path), reference)


def test_markdown_table(tmp_path: Path, reference: Catalog) -> None:
    entries = [e for e in reference.entries if e.product != "说明"]
    rows = [f"| {e.category} | **{e.product}** | {e.text.replace(chr(10), '<br>')} |" for e in entries]
    path = tmp_path / "catalog.md"
    path.write_text("\n".join(["# 专项服务产品清单", "", "发布日期 2025-07-01", "",
                                "| 类别 | 服务产品 | 服务说明 |", "|---|:---|---|", *rows]), encoding="utf-8")
    catalog = load_catalog(path)
    got = [(e.product, e.category, e.items, e.exclusions, e.text) for e in catalog.entries]
    assert got == [(e.product, e.category, e.items, e.exclusions, e.text) for e in entries]


def test_pdf_with_the_original_page_breaks(tmp_path: Path, reference: Catalog) -> None:
    catalog = load_catalog(write_pdf(bundled_pages(), tmp_path / "catalog.pdf"))
    _same_entries(catalog, reference)


def test_pdf_rendered_as_a_table(tmp_path: Path, reference: Catalog) -> None:
    """A layout the parser was not written against: fpdf2's own table, header repeated per page."""
    products = reference.model_copy(update={"entries": [e for e in reference.entries if e.product != "说明"]})
    catalog = load_catalog(write_pdf_table(products, tmp_path / "table.pdf"))
    got = [(e.product, e.category, e.items, e.exclusions, e.text) for e in catalog.entries]
    assert got == [(e.product, e.category, e.items, e.exclusions, e.text) for e in products.entries]
    pages = [e.page for e in catalog.entries]
    assert pages == sorted(pages) and pages[0] == 1 and pages[-1] > 1


def test_pdf_repeating_its_header_on_every_page(tmp_path: Path, reference: Catalog) -> None:
    pages = bundled_pages()
    header = pages[0][:4]  # date, page marker, title, column header
    repeated = [pages[0]] + [[header[0], f"{n} / {len(pages)}", *header[2:], *lines]
                             for n, lines in enumerate(pages[1:], start=2)]
    _same_entries(load_catalog(write_pdf(repeated, tmp_path / "catalog.pdf")), reference)


def test_docx_paragraphs_with_page_breaks(tmp_path: Path, reference: Catalog) -> None:
    _same_entries(load_catalog(write_docx(bundled_pages(), tmp_path / "catalog.docx")), reference)


def test_docx_pages_as_word_last_rendered_them(tmp_path: Path, reference: Catalog) -> None:
    """Word records where it broke pages (w:lastRenderedPageBreak) even without explicit breaks."""
    from docx import Document
    from docx.oxml import OxmlElement

    document = Document()
    for number, lines in enumerate(bundled_pages()):
        for index, line in enumerate(lines):
            run = document.add_paragraph().add_run()
            if number and not index:
                run._r.append(OxmlElement("w:lastRenderedPageBreak"))
            run.add_text(line)
    document.save(str(tmp_path / "rendered.docx"))
    _same_entries(load_catalog(tmp_path / "rendered.docx"), reference)


def test_docx_table_in_reading_order(tmp_path: Path, reference: Catalog) -> None:
    """The catalog as a real three-column table: category cells merged down, one row a product."""
    from docx import Document

    document = Document()
    document.add_paragraph("发布日期 2025-07-01")
    table = document.add_table(rows=1, cols=3)
    for cell, title in zip(table.rows[0].cells, ["类别", "服务产品", "服务说明"]):
        cell.text = title
    rows_of_category: dict[str, list[int]] = {}
    entries = [e for e in reference.entries if e.product != "说明"]
    for entry in entries:
        row = table.add_row()
        rows_of_category.setdefault(entry.category, []).append(len(table.rows) - 1)
        row.cells[1].text = entry.product
        row.cells[2].text = entry.text
    for category, rows in rows_of_category.items():
        table.cell(rows[0], 0).merge(table.cell(rows[-1], 0)).text = category
    document.save(str(tmp_path / "table.docx"))
    catalog = load_catalog(tmp_path / "table.docx")
    got = [(e.product, e.category, e.items, e.exclusions, e.text) for e in catalog.entries]
    assert got == [(e.product, e.category, e.items, e.exclusions, e.text) for e in entries]


# --- bad input -----------------------------------------------------------------------------------

def _pdf_without_text(path: Path) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 100, 50, style="F")
    pdf.output(str(path))
    return path


BAD_INPUTS = {
    "empty.txt": lambda p: p.write_bytes(b""),
    "blank.txt": lambda p: p.write_text(" \n\n \n", encoding="utf-8"),
    "random.txt": lambda p: p.write_bytes(os.urandom(4096)),
    "image.png": lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(256)),
    "table.xlsx": lambda p: p.write_bytes(b"PK\x03\x04" + os.urandom(64)),
    "noext": lambda p: p.write_text("发布日期 2025-07-01", encoding="utf-8"),
    "scanned.pdf": _pdf_without_text,
    "broken.pdf": lambda p: p.write_bytes(b"%PDF-1.7\nthis is not really a pdf"),
    "broken.docx": lambda p: p.write_bytes(b"PK\x03\x04 not a zip"),
    "prose.txt": lambda p: p.write_text("这是一段普通的文字，没有任何产品。\n第二行，也没有。\n", encoding="utf-8"),
    "missing.txt": None,
    "a-directory.txt": lambda p: p.mkdir(),
}


@pytest.fixture(params=sorted(BAD_INPUTS))
def bad_input(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    path = tmp_path / request.param
    writer = BAD_INPUTS[request.param]
    if writer is not None:
        writer(path)
    return path


def test_bad_input_raises_a_one_line_ingest_error(bad_input: Path) -> None:
    with pytest.raises(IngestError) as raised:
        load_catalog(bad_input)
    message = str(raised.value)
    assert message and "\n" not in message and bad_input.name in message
