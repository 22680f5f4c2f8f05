"""Real sample files built in code, for tests and benchmarks (no binary fixtures in the repository)."""

from __future__ import annotations

import io
import textwrap

import docx


def make_pdf(text: str) -> bytes:
    """A valid one-page PDF 1.4 showing `text` in Helvetica, with a correct cross-reference table."""
    return make_pdf_pages([text])


def _page_stream(text: str) -> str:
    """Lines of at most 80 characters, broken between words as a word processor would."""
    lines = textwrap.wrap(text, width=80, break_on_hyphens=False) or [""]
    escaped = (line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") for line in lines)
    return "BT /F1 12 Tf 72 720 Td 14 TL " + " ".join(f"({line}) '" for line in escaped) + " ET"


def make_pdf_pages(pages: list[str]) -> bytes:
    """A valid PDF 1.4 with one page per entry of `pages`, each showing its text in Helvetica."""
    page_count = len(pages)
    font = 3 + 2 * page_count
    kids = " ".join(f"{3 + 2 * index} 0 R" for index in range(page_count))
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", f"<< /Type /Pages /Kids [{kids}] /Count {page_count} >>"]
    for index, text in enumerate(pages):
        stream = _page_stream(text)
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {4 + 2 * index} 0 R"
            f" /Resources << /Font << /F1 {font} 0 R >> >> >>"
        )
        objects.append(f"<< /Length {len(stream.encode('latin-1'))} >>\nstream\n{stream}\nendstream")
    objects.append("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    return _pdf_file([body.encode("latin-1") for body in objects])


def _pdf_file(bodies: list[bytes]) -> bytes:
    """A PDF 1.4 file of numbered objects (the first is the catalog) with a correct cross-reference table."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(bodies, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(bodies) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(bodies) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def make_docx(paragraphs: list[str], table: list[list[str]] | None = None) -> bytes:
    """A Word document with `paragraphs`, then `table` (rows of cell texts) if given, built with python-docx."""
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=max(len(row) for row in table))
        for row, cells in zip(grid.rows, table, strict=False):
            for cell, text in zip(row.cells, cells, strict=False):
                cell.text = text
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# --- Hostile files: small on disk, ruinous to parse (rebuilt from an outside probe of Kite) ---------------------

_WORD = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    "</Types>"
)
_PACKAGE_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="word/document.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>'
    "</Relationships>"
)


def _docx_with_body(body: str) -> bytes:
    """A minimal, valid Word package whose document body is `body`."""
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as package:
        package.writestr("[Content_Types].xml", _CONTENT_TYPES)
        package.writestr("_rels/.rels", _PACKAGE_RELS)
        package.writestr("word/document.xml", f'<w:document xmlns:w="{_WORD}"><w:body>{body}</w:body></w:document>')
    return buffer.getvalue()


def merged_cells_docx(size: int = 100) -> bytes:
    """A `size`×`size` table whose every row continues the cells above it (vMerge): a few kilobytes that
    python-docx takes time growing with the fourth power of `size` to read."""
    first = '<w:tc><w:tcPr><w:vMerge w:val="restart"/></w:tcPr><w:p/></w:tc>' * size
    rest = "<w:tc><w:tcPr><w:vMerge/></w:tcPr><w:p/></w:tc>" * size
    rows = f"<w:tr>{first}</w:tr>" + f"<w:tr>{rest}</w:tr>" * (size - 1)
    grid = "<w:tblGrid>" + '<w:gridCol w:w="100"/>' * size + "</w:tblGrid>"
    return _docx_with_body(f"<w:tbl>{grid}{rows}</w:tbl>")


def many_paragraphs_docx(count: int = 10_000_000) -> bytes:
    """`count` empty paragraphs: under a hundred kilobytes packed, gigabytes of memory once parsed."""
    return _docx_with_body("<w:p/>" * count)


def shared_stream_pdf(pages: int = 500, operators: int = 175_000) -> bytes:
    """`pages` pages that all draw one compressed content stream of `operators` empty text operators (3.7 MB
    unpacked by default): about a hundred kilobytes that a text extractor reads again for every page."""
    import zlib

    stream = zlib.compress(b"BT /F1 1 Tf () Tj ET\n" * operators, 9)
    kids = " ".join(f"{5 + index} 0 R" for index in range(pages))
    bodies = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode(),
        f"<< /Length {len(stream)} /Filter /FlateDecode >>\nstream\n".encode() + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R"
    page += b" /Resources << /Font << /F1 4 0 R >> >> >>"
    bodies += [page] * pages
    return _pdf_file(bodies)
