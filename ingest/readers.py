"""Document -> text, one reader per format; pages are separated by "\\f" where the format knows them."""
from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from ingest.errors import IngestError

# Decoded text with more control characters than this share is binary, whatever the decoder says.
_MAX_CONTROL_SHARE = 0.01


def read_plain_text(path: Path) -> str:
    """.txt / .md in any encoding (UTF-8, GBK, UTF-16, with or without BOM)."""
    from charset_normalizer import from_bytes

    data = path.read_bytes()
    if not data.strip():
        raise IngestError(f"{path}: the file is empty")
    best = from_bytes(data).best()
    if best is None:
        raise IngestError(f"{path}: not a text file (binary or unknown encoding)")
    text = str(best)
    controls = sum(1 for char in text if ord(char) < 32 and char not in "\n\r\t\f")
    if controls > _MAX_CONTROL_SHARE * len(text):
        raise IngestError(f"{path}: not a text file (binary content)")
    return text


_MARKDOWN_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_MARKDOWN_MARKUP = re.compile(r"^\s{0,3}#{1,6}\s+|\*\*|__")
_MARKDOWN_BREAK = re.compile(r"<br\s*/?>", re.I)


def read_markdown(path: Path) -> str:
    """Markdown, as text or as a pipe table: a table row becomes its cells joined by a space (a
    column gap) and `<br>` inside a cell a line break, the same shape a flattened PDF table has."""
    lines: list[str] = []
    for line in read_plain_text(path).replace("\r\n", "\n").split("\n"):  # not splitlines(): keep "\f"
        if _MARKDOWN_RULE.match(line):
            continue
        line = _MARKDOWN_MARKUP.sub("", line)
        if line.lstrip().startswith("|"):
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            line = " ".join(cell for cell in cells if cell)
        lines.append(_MARKDOWN_BREAK.sub("\n", line))
    return "\n".join(lines)


def read_pdf(path: Path) -> str:
    """The PDF's text layer, page i of the PDF as page i."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    _quiet_when_unconfigured("pypdf")
    try:
        pages = [page.extract_text() or "" for page in PdfReader(path).pages]
    except (PyPdfError, ValueError, KeyError, OSError) as error:
        raise IngestError(f"{path}: not a readable PDF ({error})") from None
    if not "".join(pages).strip():
        raise IngestError(f"{path}: the PDF has no text layer (scanned? run OCR first)")
    return "\f".join(pages)


def _quiet_when_unconfigured(name: str) -> None:
    """Keep a library's repair notes ("EOF marker not found") off a bare stderr, where the CLI
    promises one error line; an application that configures logging still receives them."""
    logger = logging.getLogger(name)
    if not any(isinstance(handler, logging.NullHandler) for handler in logger.handlers):
        logger.addHandler(logging.NullHandler())


def read_docx(path: Path) -> str:
    """Paragraphs and table rows in reading order; page breaks become "\\f"."""
    from docx import Document
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = Document(str(path))
    except (PackageNotFoundError, ValueError, KeyError, OSError) as error:
        raise IngestError(f"{path}: not a readable .docx ({error})") from None
    return "\n".join(_DocxText(document).blocks())


class _DocxText:
    """Walks a python-docx Document; python-docx itself renders page breaks as nothing.

    Explicit page breaks (what an author or a generator inserts) are used when the document has
    any; otherwise the breaks Word recorded when it last laid the document out.
    """

    _QUALIFIED_TYPE = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}type"

    def __init__(self, document) -> None:  # noqa: ANN001 - python-docx has no public Document type
        self.document = document
        self.explicit_breaks = bool(document.element.body.xpath('.//w:br[@w:type="page"]'))

    def blocks(self) -> Iterator[str]:
        from docx.table import Table
        from docx.text.paragraph import Paragraph

        for block in self.document.iter_inner_content():
            if isinstance(block, Paragraph):
                yield self.paragraph(block._p)
            elif isinstance(block, Table):
                yield from self.table_rows(block)

    def paragraph(self, p) -> str:  # noqa: ANN001 - an lxml CT_P element
        pieces: list[str] = []
        for node in p.xpath(".//w:t | .//w:tab | .//w:br | .//w:lastRenderedPageBreak"):
            tag = node.tag.rsplit("}", 1)[-1]
            if tag == "t":
                pieces.append(node.text or "")
            elif tag == "tab":
                pieces.append("\t")
            elif tag == "br":
                pieces.append({"page": "\f", None: "\n"}.get(node.get(self._QUALIFIED_TYPE), ""))
            elif not self.explicit_breaks:
                pieces.append("\f")
        return "".join(pieces)

    def table_rows(self, table) -> Iterator[str]:  # noqa: ANN001
        """A row as its cells joined by a space (a column gap); a merged cell is written once."""
        seen: set[object] = set()  # the cell elements themselves: lxml keeps one proxy per live node
        for row in table.rows:
            cells: list[str] = []
            for cell in row.cells:
                if cell._tc in seen:
                    continue
                seen.add(cell._tc)
                cells.append("\n".join(self.paragraph(paragraph._p) for paragraph in cell.paragraphs))
            yield " ".join(text for text in cells if text.strip())


_READERS: dict[str, Callable[[Path], str]] = {
    ".txt": read_plain_text,
    ".md": read_markdown,
    ".pdf": read_pdf,
    ".docx": read_docx,
}


def read_document(path: Path) -> str:
    """The document's text, or IngestError for anything that cannot be read."""
    if not path.exists():
        raise IngestError(f"{path}: no such file")
    if not path.is_file():
        raise IngestError(f"{path}: not a file")
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        supported = ", ".join(_READERS)
        raise IngestError(f"{path}: unsupported format {path.suffix or '(no extension)'!r} (supported: {supported})")
    if path.stat().st_size == 0:
        raise IngestError(f"{path}: the file is empty")
    return reader(path)
