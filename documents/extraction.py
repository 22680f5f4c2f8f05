"""Plain text from an uploaded file, for classification and search (DOC-01).

The format is decided from the bytes first and the declared type and name second, because both of those come
from the uploader's browser and may be wrong.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable
from html.parser import HTMLParser

import docx
import pypdf
from docx.table import Table
from docx.text.paragraph import Paragraph

MAX_PDF_PAGES = 500
MAX_DOCX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_DOCX_BODY_BYTES = 64 * 1024 * 1024
MAX_ZIP_ENTRIES = 10_000

PDF, DOCX, HTML, CSV, TEXT, IMAGE = "pdf", "docx", "html", "csv", "text", "image"

_PDF_MAGIC = b"%PDF-"
_ZIP_MAGIC = b"PK\x03\x04"
# PNG, JPEG, TIFF (both byte orders) and GIF; WebP and HEIF are recognised by their container (_is_image).
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*", b"GIF87a", b"GIF89a")
_HEIF_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"avif")
_DOCX_BODY = "word/document.xml"
# Acrobat accepts a PDF header anywhere in the first kilobyte, and so do we.
_PDF_HEADER_WINDOW = 1024
_SNIFF_BYTES = 8192
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
# Bytes that never appear in text files; form feed and escape do, in old printer output.
_BINARY_CONTROLS = bytes(set(range(32)) - set(b"\t\n\r\f\x1b"))

_DECLARED = {
    "application/pdf": PDF,
    "application/x-pdf": PDF,
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": DOCX,
    "text/html": HTML,
    "application/xhtml+xml": HTML,
    "text/csv": CSV,
    "application/csv": CSV,
    "text/tab-separated-values": CSV,
}
_EXTENSIONS = {
    ".pdf": PDF,
    ".docx": DOCX,
    ".html": HTML,
    ".htm": HTML,
    ".xhtml": HTML,
    ".csv": CSV,
    ".tsv": CSV,
}
_MEDIA_PREFIXES = ("image/", "audio/", "video/", "font/")

_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\u00ad\u200b\ufeff]")
_BLANK_LINES = re.compile(r"\n{3,}")


PDF_DAMAGED = "The PDF file is damaged and could not be read."


class ExtractionError(Exception):
    """A file that should hold text but cannot be read; the message is written for the document's owner."""


def extract_text(data: bytes, *, content_type: str, filename: str, max_chars: int = 200_000) -> str:
    """The visible text of `data`, whitespace normalised and at most `max_chars` long.

    Returns "" for formats without a text layer (images, unknown binaries, a PDF of scanned pages: those are
    documents.reading's, with OCR) and raises ExtractionError for a file that is damaged or is not what its type
    or name claims.
    """
    if not data or max_chars <= 0:
        return ""
    kind = _detect(data, _media_type(content_type), _extension(filename))
    if kind is None or kind == IMAGE:
        return ""
    raw = _EXTRACTORS[kind](data, content_type, max_chars)
    return normalise(raw)[:max_chars].rstrip()


def detect(data: bytes, *, content_type: str, filename: str) -> str | None:
    """What `data` is (PDF, DOCX, HTML, CSV, TEXT, IMAGE), or None for a format Kite does not read."""
    return _detect(data, _media_type(content_type), _extension(filename))


def needs_isolation(data: bytes, *, content_type: str, filename: str) -> bool:
    """Whether reading `data` may take unbounded time or memory: PDF, Word and HTML parsers can be made to (a
    table of merged cells, a content stream shared by every page, millions of empty paragraphs, HTML whose
    parsing time grows with the square of its length), and images are decoded and read by OCR, so those run in
    a child process with limits (documents.sandbox). Plain text and CSV are read in one linear pass."""
    try:
        return detect(data, content_type=content_type, filename=filename) in (PDF, DOCX, HTML, IMAGE)
    except ExtractionError:
        return False  # refused before any parsing: nothing to isolate


def _media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def _extension(filename: str) -> str:
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].lower()
    return "." + name.rsplit(".", 1)[1] if "." in name else ""


def _detect(data: bytes, media_type: str, extension: str) -> str | None:
    declared = _DECLARED.get(media_type) or _EXTENSIONS.get(extension)
    header_at = data.find(_PDF_MAGIC, 0, _PDF_HEADER_WINDOW)
    if header_at == 0 or (header_at > 0 and declared == PDF):
        return PDF
    if data.startswith(_ZIP_MAGIC):
        return _detect_zip(data, declared)
    if _is_image(data):
        return IMAGE
    if not _looks_like_text(data):
        if declared == PDF:
            raise ExtractionError("This file is not a PDF, although its name or type says it is.")
        if declared == DOCX:
            raise ExtractionError("This file is not a Word document, although its name or type says it is.")
        return None
    if media_type.startswith(_MEDIA_PREFIXES):
        return None
    if declared in (HTML, CSV):
        return declared
    # A file claiming to be a PDF or Word document that is really text is read as the text it is.
    return HTML if _starts_like_html(data) else TEXT


def _detect_zip(data: bytes, declared: str | None) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            is_docx = _DOCX_BODY in archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        is_docx = False
    if is_docx:
        return DOCX
    if declared == DOCX:
        raise ExtractionError("The Word document is damaged and could not be read.")
    return None


def _is_image(data: bytes) -> bool:
    if data.startswith(_IMAGE_MAGIC):
        return True
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return True
    return data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS


def _looks_like_text(data: bytes) -> bool:
    if data.startswith(_UTF16_BOMS):
        return True
    sample = data[:_SNIFF_BYTES]
    controls = len(sample) - len(sample.translate(None, _BINARY_CONTROLS))
    return b"\x00" not in sample and controls * 20 <= len(sample)


def _starts_like_html(data: bytes) -> bool:
    opening = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return opening.startswith((b"<!doctype html", b"<html"))


def _decode(data: bytes, content_type: str) -> str:
    """Text from bytes in whatever encoding they most likely use; undecodable bytes never raise."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace")
    if data.startswith(_UTF16_BOMS):
        return data.decode("utf-16", errors="replace")
    for encoding in (_declared_charset(content_type), "utf-8", "cp1252"):
        if encoding:
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as error:
                if encoding == "utf-8" and _cut_short_utf8(data, error):
                    return data[: error.start].decode("utf-8")
    return data.decode("latin-1")


def _cut_short_utf8(data: bytes, error: UnicodeDecodeError) -> bool:
    """Whether valid UTF-8 merely ends mid-character, as a bounded read of a large file can. Only text that
    already shows UTF-8 sequences counts: a cp1252 "café" also ends in what looks like a partial character."""
    return error.reason == "unexpected end of data" and not data[: error.start].isascii()


def _declared_charset(content_type: str) -> str | None:
    match = re.search(r"charset\s*=\s*[\"']?([\w.:-]+)", content_type, re.IGNORECASE)
    if not match:
        return None
    try:
        return codecs.lookup(match.group(1)).name
    except LookupError:
        return None


def normalise(text: str) -> str:
    text = _CONTROL_CHARS.sub(" ", unicodedata.normalize("NFC", text))
    # PostgreSQL refuses lone surrogates, which odd PDF fonts can produce.
    text = text.encode("utf-8", errors="ignore").decode("utf-8")
    lines = (" ".join(line.split()) for line in text.splitlines())
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


class _Collector:
    """Gathers pieces of text and says when they hold enough visible characters to fill `max_chars`, so that
    large documents are not read further than needed."""

    def __init__(self, max_chars: int) -> None:
        self.pieces: list[str] = []
        self._missing = max_chars

    @property
    def full(self) -> bool:
        return self._missing <= 0

    def add(self, piece: str) -> None:
        self.pieces.append(piece)
        self._missing -= len(" ".join(piece.split()))

    def text(self, separator: str = "\n") -> str:
        return separator.join(self.pieces)


def _text_from_plain(data: bytes, content_type: str, max_chars: int) -> str:
    # Whitespace is rarely most of a text file; a generous prefix keeps normalising cheap on huge ones.
    return _decode(data, content_type)[: max_chars * 4]


def _text_from_csv(data: bytes, content_type: str, max_chars: int) -> str:
    text = _decode(data, content_type)
    try:
        dialect = csv.Sniffer().sniff(text[:_SNIFF_BYTES], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    collector = _Collector(max_chars)
    try:
        for row in csv.reader(io.StringIO(text, newline=""), dialect):
            collector.add(" ".join(" ".join(cell.split()) for cell in row if cell.strip()))
            if collector.full:
                break
    except csv.Error:
        return text[: max_chars * 4]
    return collector.text()


class _VisibleText(HTMLParser):
    """Collects what a browser would show: no scripts or styles, a line break around each block element."""

    HIDDEN = frozenset({"script", "style", "noscript", "template"})
    BLOCKS = frozenset(
        "address article aside blockquote br dd div dl dt fieldset figcaption figure footer form h1 h2 h3 h4 "
        "h5 h6 header hr li main nav ol p pre section table td th title tr ul".split()
    )

    def __init__(self, collector: _Collector) -> None:
        super().__init__(convert_charrefs=True)
        self.collector = collector
        self._hidden_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN:
            self._hidden_depth += 1
        elif tag in self.BLOCKS:
            self.collector.add("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN:
            self._hidden_depth = max(0, self._hidden_depth - 1)
        elif tag in self.BLOCKS:
            self.collector.add("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden_depth:
            self.collector.add(data)


def _text_from_html(data: bytes, content_type: str, max_chars: int) -> str:
    text = _decode(data, content_type)
    collector = _Collector(max_chars)
    parser = _VisibleText(collector)
    for start in range(0, len(text), 65_536):
        parser.feed(text[start : start + 65_536])
        if collector.full:
            break
    else:
        parser.close()
    return collector.text(separator="")


def pdf_pages(data: bytes) -> list[pypdf.PageObject]:
    """The pages of a PDF (opened without a password where it only forbids editing)."""
    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        _unlock(reader)
        return list(reader.pages)
    except (ExtractionError, MemoryError):
        raise
    except Exception as error:  # pypdf raises many types on damaged input; each means the file is unreadable
        raise ExtractionError("The PDF file is damaged and could not be read.") from error


def pdf_page_text(page: pypdf.PageObject) -> str | None:
    """One page's text layer ("" when it has none); None when this page cannot be read."""
    try:
        return page.extract_text() or ""
    except MemoryError:
        raise
    except Exception:  # one broken page should not hide the text of the others
        return None


def _text_from_pdf(data: bytes, content_type: str, max_chars: int) -> str:
    pages = pdf_pages(data)
    collector, failures = _Collector(max_chars), 0
    for page in pages[:MAX_PDF_PAGES]:
        text = pdf_page_text(page)
        if text is None:
            failures += 1
        else:
            collector.add(text)
        if collector.full:
            break
    if failures and not collector.text().strip():
        raise ExtractionError(PDF_DAMAGED)
    return collector.text()


def _unlock(reader: pypdf.PdfReader) -> None:
    """Opens PDFs encrypted only against editing, which readers show without a password."""
    if not reader.is_encrypted:
        return
    try:
        unlocked = reader.decrypt("") != pypdf.PasswordType.NOT_DECRYPTED
    except Exception as error:  # unsupported encryption algorithms raise rather than answer
        raise ExtractionError("The PDF file is encrypted in a way Kite cannot read.") from error
    if not unlocked:
        raise ExtractionError("The PDF file is protected by a password, so its text could not be read.")


def _text_from_docx(data: bytes, content_type: str, max_chars: int) -> str:
    _check_docx_size(data)
    try:
        document = docx.Document(io.BytesIO(data))
        collector = _Collector(max_chars)
        _collect_blocks(document.iter_inner_content(), collector)
    except MemoryError:
        raise  # a limit of the reader's, not damage: said as such by documents.sandbox
    except Exception as error:  # python-docx, lxml and zipfile raise many types on damaged input
        raise ExtractionError("The Word document is damaged and could not be read.") from error
    return collector.text()


def _check_docx_size(data: bytes) -> None:
    """Refuses archives that would unpack to far more than any real document (zip bombs)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise ExtractionError("The Word document is damaged and could not be read.") from error
    body = next((entry.file_size for entry in entries if entry.filename == _DOCX_BODY), 0)
    unpacked = sum(entry.file_size for entry in entries)
    if len(entries) > MAX_ZIP_ENTRIES or unpacked > MAX_DOCX_UNPACKED_BYTES or body > MAX_DOCX_BODY_BYTES:
        raise ExtractionError("The Word document is too large to read.")


def _collect_blocks(blocks: Iterable[Paragraph | Table], collector: _Collector) -> None:
    for block in blocks:
        if collector.full:
            return
        if isinstance(block, Table):
            _collect_table(block, collector)
        else:
            collector.add(block.text)


def _collect_table(table: Table, collector: _Collector) -> None:
    for row in table.rows:
        previous = None
        for cell in row.cells:
            # A merged cell is listed once for every grid column it spans.
            if cell._tc is not previous:
                _collect_blocks(cell.iter_inner_content(), collector)
            previous = cell._tc


_EXTRACTORS: dict[str, Callable[[bytes, str, int], str]] = {
    PDF: _text_from_pdf,
    DOCX: _text_from_docx,
    HTML: _text_from_html,
    CSV: _text_from_csv,
    TEXT: _text_from_plain,
}
