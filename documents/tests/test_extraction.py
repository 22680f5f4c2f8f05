import io
import random
import struct
import zipfile
import zlib

import docx
import pypdf
import pytest

from devtools.testing.samples import make_docx, make_pdf, make_pdf_pages
from documents import extraction
from documents.extraction import IMAGE, ExtractionError, detect, extract_text

PDF_TYPE = "application/pdf"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
DAMAGED_PDF = "The PDF file is damaged and could not be read."
DAMAGED_DOCX = "The Word document is damaged and could not be read."


def make_png() -> bytes:
    """A valid 1x1 grey PNG."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x80")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def pdf_writer_bytes(writer: pypdf.PdfWriter) -> bytes:
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def encrypted_pdf(text: str, password: str) -> bytes:
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(make_pdf(text))))
    writer.encrypt(user_password=password, owner_password="owner secret", algorithm="RC4-128")
    return pdf_writer_bytes(writer)


def zip_of(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in files.items():
            archive.writestr(name, body)
    return buffer.getvalue()


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line]


def test_plain_utf8_text():
    """DOC-01: UTF-8 text comes back as it is, accents and all."""
    data = "Rechnung für die Reparatur – 120 €\nZahlbar bis Montag.".encode()
    text = extract_text(data, content_type="text/plain", filename="rechnung.txt")
    assert text == "Rechnung für die Reparatur – 120 €\nZahlbar bis Montag."


def test_byte_order_marks_are_honoured():
    """DOC-01: a UTF-8 BOM is dropped and UTF-16 with a BOM is decoded."""
    utf8 = b"\xef\xbb\xbfHello BOM"
    utf16 = "Grüße aus Köln".encode("utf-16")
    assert extract_text(utf8, content_type="text/plain", filename="a.txt") == "Hello BOM"
    assert extract_text(utf16, content_type="text/plain", filename="b.txt") == "Grüße aus Köln"


def test_latin1_and_cp1252_text_is_decoded():
    """DOC-01: text that is not UTF-8 falls back to Windows-1252, so accents, quotes and € survive."""
    data = "Café “crème” brûlée – 5 €".encode("cp1252")
    assert extract_text(data, content_type="text/plain", filename="menu.txt") == "Café “crème” brûlée – 5 €"
    latin1 = "Ärger über Öl".encode("latin-1")
    assert extract_text(latin1, content_type="text/plain", filename="notiz.txt") == "Ärger über Öl"


def test_single_accent_at_the_end_is_not_taken_for_cut_off_utf8():
    """DOC-01: a Windows-1252 file ending in an accented letter keeps that letter."""
    assert extract_text("Bon café".encode("cp1252"), content_type="text/plain", filename="a.txt") == "Bon café"


def test_declared_charset_is_used():
    """DOC-01: a charset in the content type wins over guessing."""
    data = "Καλημέρα κόσμε".encode("iso-8859-7")
    text = extract_text(data, content_type="text/plain; charset=ISO-8859-7", filename="greek.txt")
    assert text == "Καλημέρα κόσμε"


def test_text_with_nul_bytes_is_treated_as_binary():
    """DOC-01: NUL bytes mean a binary file whatever its name, as in grep and git; nothing is extracted."""
    assert extract_text(b"abc\x00\x00\x01def", content_type="text/plain", filename="a.txt") == ""


def test_undecodable_bytes_never_raise():
    """DOC-01: bytes valid in no likely encoding still give text, without control characters."""
    data = b"Total \x81\x8d\x9d due \x90 now"
    text = extract_text(data, content_type="text/plain", filename="odd.txt")
    assert text == "Total due now"


def test_utf8_cut_off_mid_character_keeps_the_rest():
    """DOC-01: a bounded read that ends inside a multi-byte character loses only that character."""
    data = "Größe: ünf €".encode()[:-2]
    assert extract_text(data, content_type="text/plain", filename="cut.txt") == "Größe: ünf"


def test_whitespace_is_normalised():
    """DOC-01: runs of spaces collapse, line breaks stay, blank lines shrink to one and control characters go."""
    data = b"  Dear   tenant,\t\r\n\r\n\r\n\r\nthe rent\x07rises.\x0b \n\n"
    assert extract_text(data, content_type="text/plain", filename="a.txt") == "Dear tenant,\n\nthe rent rises."


def test_markdown_is_read_as_text():
    """DOC-01: Markdown is text; its words are all there."""
    data = b"# Travel plan\n\n- Flight to **Lisbon**\n- Hotel [booking](https://example.com)\n"
    text = extract_text(data, content_type="text/markdown", filename="plan.md")
    assert "Travel plan" in text and "Lisbon" in text and "Hotel" in text


def test_csv_cells_become_text():
    """DOC-01: CSV cells are read with their quoting, one line per row, whichever delimiter is used."""
    data = b'date,description,amount\n2024-01-05,"Rent, January",900\n2024-01-09,"Doctor\nvisit",45\n'
    text = extract_text(data, content_type="text/csv", filename="bank.csv")
    assert text.splitlines() == [
        "date description amount",
        "2024-01-05 Rent, January 900",
        "2024-01-09 Doctor visit 45",
    ]
    semicolons = extract_text(b"name;city\nAnna;Wien\n", content_type="", filename="people.csv")
    assert semicolons.splitlines() == ["name city", "Anna Wien"]


def test_html_gives_visible_text_only():
    """DOC-01: HTML yields what a browser shows: no scripts or styles, entities decoded, blocks on own lines."""
    data = b"""<!DOCTYPE html><html><head><title>Payslip</title><style>p { color: red }</style>
        <script>var secret = "do not index";</script></head>
        <body><p>Salary&nbsp;for <b>March</b></p><p>Net: 2&#8239;100 &euro;</p>
        <noscript>Enable JavaScript</noscript><ul><li>Tax</li><li>Pension</li></ul></body></html>"""
    text = extract_text(data, content_type="text/html; charset=utf-8", filename="payslip.html")
    assert lines(text) == ["Payslip", "Salary for March", "Net: 2 100 €", "Tax", "Pension"]
    assert "secret" not in text and "color" not in text and "JavaScript" not in text


def test_html_is_recognised_without_a_type():
    """DOC-01: an untyped file that starts like an HTML page is read as HTML."""
    data = b"\n<!doctype html><p>Lease</p><script>alert(1)</script><p>agreement</p>"
    text = extract_text(data, content_type="application/octet-stream", filename="download")
    assert lines(text) == ["Lease", "agreement"]


def test_pdf_text_is_extracted():
    """DOC-01: text is read from a real PDF."""
    data = make_pdf("Income tax assessment 2023 (refund: 412 EUR)")
    text = extract_text(data, content_type=PDF_TYPE, filename="tax.pdf")
    assert text == "Income tax assessment 2023 (refund: 412 EUR)"


def test_all_pages_of_a_pdf_are_read_in_order():
    """DOC-01: every page of a multi-page PDF contributes, in page order."""
    data = make_pdf_pages(["First page", "Second page", "Third page"])
    text = extract_text(data, content_type=PDF_TYPE, filename="three.pdf")
    assert text.splitlines() == ["First page", "Second page", "Third page"]


def test_pdf_is_recognised_by_its_header_whatever_it_is_called():
    """DOC-01: a PDF uploaded with a generic type and odd name is still read as a PDF."""
    data = make_pdf("Hotel booking confirmation")
    assert extract_text(data, content_type="application/octet-stream", filename="scan") == "Hotel booking confirmation"


def test_pdf_page_count_is_capped(monkeypatch):
    """DOC-01: only the first MAX_PDF_PAGES pages are read, however many a PDF has."""
    monkeypatch.setattr(extraction, "MAX_PDF_PAGES", 2)
    data = make_pdf_pages(["one", "two", "three", "four"])
    assert extract_text(data, content_type=PDF_TYPE, filename="long.pdf") == "one\ntwo"


def test_pdf_reading_stops_once_max_chars_are_filled(monkeypatch):
    """DOC-01: pages after the ones that fill max_chars are not even extracted."""
    calls = []
    original = pypdf.PageObject.extract_text

    def counting(self, *args, **kwargs):
        calls.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(pypdf.PageObject, "extract_text", counting)
    data = make_pdf_pages(["x" * 60] * 10)
    text = extract_text(data, content_type=PDF_TYPE, filename="long.pdf", max_chars=100)
    assert len(text) == 100
    assert len(calls) == 2


def test_pdf_without_text_gives_empty_string():
    """DOC-01: a PDF with no text layer (a blank or scanned page) gives "" rather than an error."""
    writer = pypdf.PdfWriter()
    writer.add_blank_page(612, 792)
    assert extract_text(pdf_writer_bytes(writer), content_type=PDF_TYPE, filename="scan.pdf") == ""


@pytest.mark.parametrize(
    "damage",
    [
        lambda pdf: pdf[: len(pdf) // 2],
        lambda pdf: pdf[:9] + random.Random(7).randbytes(4000),
        lambda pdf: pdf[:9] + random.Random(7).randbytes(4000) + b"\n%%EOF\n",
        lambda pdf: pdf[:9],
    ],
    ids=["truncated", "garbage-after-header", "garbage-with-eof", "header-only"],
)
def test_corrupt_pdf_raises_a_readable_error(damage):
    """DOC-01, SEC-06: a damaged PDF raises ExtractionError with a message an end user can read."""
    data = damage(make_pdf("This text will not survive"))
    with pytest.raises(ExtractionError) as caught:
        extract_text(data, content_type=PDF_TYPE, filename="broken.pdf")
    assert str(caught.value) == DAMAGED_PDF


def test_password_protected_pdf_raises_a_readable_error():
    """DOC-01, SEC-06: a PDF that needs a password to open says so instead of failing obscurely."""
    with pytest.raises(ExtractionError, match="password"):
        extract_text(encrypted_pdf("Medical report", "hunter2"), content_type=PDF_TYPE, filename="report.pdf")


def test_pdf_restricted_only_against_editing_is_read():
    """DOC-01: a PDF encrypted with an empty user password opens without one, as in any PDF viewer."""
    data = encrypted_pdf("Medical report", "")
    assert extract_text(data, content_type=PDF_TYPE, filename="report.pdf") == "Medical report"


def test_pdf_that_is_really_text_is_read_as_text():
    """DOC-01, SEC-06: a "PDF" whose bytes are plain text is read as the text it is."""
    data = b"Quarterly report: revenue grew by 4 percent."
    text = extract_text(data, content_type=PDF_TYPE, filename="report.pdf")
    assert text == "Quarterly report: revenue grew by 4 percent."


def test_pdf_that_is_really_binary_raises_a_readable_error():
    """SEC-06: a "PDF" whose bytes are binary but not a PDF is reported as not being a PDF."""
    with pytest.raises(ExtractionError, match="not a PDF"):
        extract_text(bytes(range(256)) * 8, content_type=PDF_TYPE, filename="scan.pdf")


def test_a_pdf_that_is_really_an_image_is_read_as_the_image_it_is():
    """READ-01: the bytes decide: a photo named .pdf goes to OCR (documents.reading), not to the PDF reader."""
    assert detect(make_png(), content_type=PDF_TYPE, filename="photo.pdf") == IMAGE
    assert extract_text(make_png(), content_type=PDF_TYPE, filename="photo.pdf") == ""


def test_docx_paragraphs_and_table_cells_are_extracted():
    """DOC-01: a Word document gives its paragraphs and then its table cells, a merged cell only once."""
    data = make_docx(["Lease agreement", "The tenant pays rent monthly."], table=[["Deposit", "900 EUR"]])
    text = extract_text(data, content_type=DOCX_TYPE, filename="lease.docx")
    assert text.splitlines() == ["Lease agreement", "The tenant pays rent monthly.", "Deposit", "900 EUR"]


def test_merged_docx_cells_are_read_once():
    """DOC-01: a cell merged across columns appears once, not once per column it spans."""
    document = docx.Document()
    table = document.add_table(rows=1, cols=3)
    table.cell(0, 0).merge(table.cell(0, 2)).text = "Merged note"
    buffer = io.BytesIO()
    document.save(buffer)
    assert extract_text(buffer.getvalue(), content_type=DOCX_TYPE, filename="m.docx") == "Merged note"


def test_docx_is_recognised_by_its_content_whatever_it_is_called():
    """DOC-01: a Word document uploaded as a generic zip is still read as one."""
    data = make_docx(["Employment contract"])
    assert extract_text(data, content_type="application/zip", filename="contract.zip") == "Employment contract"


@pytest.mark.parametrize(
    "data",
    [
        make_docx(["Lost half"])[:2000],
        b"PK\x03\x04" + random.Random(3).randbytes(3000),
        zip_of({"hello.txt": b"not a word document"}),
        zip_of({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document><unclosed"}),
    ],
    ids=["truncated", "garbage-zip", "zip-without-body", "broken-xml"],
)
def test_broken_docx_raises_a_readable_error(data):
    """DOC-01, SEC-06: a damaged Word document raises ExtractionError with a message an end user can read."""
    with pytest.raises(ExtractionError) as caught:
        extract_text(data, content_type=DOCX_TYPE, filename="broken.docx")
    assert str(caught.value) == DAMAGED_DOCX


def test_docx_that_unpacks_too_large_is_refused(monkeypatch):
    """SEC-06: an archive that would unpack beyond the limit is refused before it is unpacked (zip bombs)."""
    monkeypatch.setattr(extraction, "MAX_DOCX_UNPACKED_BYTES", 10_000)
    with pytest.raises(ExtractionError, match="too large"):
        extract_text(make_docx(["Big"]), content_type=DOCX_TYPE, filename="big.docx")


def test_images_and_unknown_binaries_give_empty_string():
    """DOC-01: files with no text format (an image, random bytes, a non-Word zip) give ""."""
    assert extract_text(make_png(), content_type="image/png", filename="photo.png") == ""
    assert extract_text(make_png(), content_type="application/octet-stream", filename="photo") == ""
    noise = random.Random(11).randbytes(5000)
    assert extract_text(noise, content_type="application/octet-stream", filename="blob.bin") == ""
    assert extract_text(zip_of({"a.txt": b"hello"}), content_type="application/zip", filename="a.zip") == ""
    assert extract_text(b"<svg><text>Hi</text></svg>", content_type="image/svg+xml", filename="a.svg") == ""
    assert extract_text(b"", content_type="text/plain", filename="empty.txt") == ""


def test_max_chars_is_honoured():
    """DOC-01: the result never exceeds max_chars, for text, HTML and PDF alike."""
    words = "receipt " * 5000
    assert len(extract_text(words.encode(), content_type="text/plain", filename="a.txt", max_chars=50)) <= 50
    assert extract_text(b"abcdef", content_type="text/plain", filename="a.txt", max_chars=3) == "abc"
    html = f"<p>{words}</p>".encode()
    assert len(extract_text(html, content_type="text/html", filename="a.html", max_chars=1000)) <= 1000
    pdf = make_pdf(words[:2000])
    assert len(extract_text(pdf, content_type=PDF_TYPE, filename="a.pdf", max_chars=20)) <= 20
    assert extract_text(b"anything", content_type="text/plain", filename="a.txt", max_chars=0) == ""
