"""Reading one document whole: its text (from its text layer or by OCR), its page count and a thumbnail.

READ-01..04. This runs in documents.sandbox's child process, under its limits; nothing here touches the database
or storage. Pages are read one at a time and let go, so memory stays flat on a 500-page scan, and each page read
by OCR is announced through `progress` ("reading page 3 of 12").
"""

from __future__ import annotations

import io
import resource
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, ImageOps, ImageSequence

from documents import extraction, ocr
from documents.extraction import ExtractionError

TEXT, OCR = "text", "ocr"
# Pages are drawn at this resolution for OCR: what scanners produce and what both engines read best.
OCR_DPI = 300
# A PDF page whose text layer has fewer letters or digits than this is a scan (perhaps with a stamped page number).
MIN_TEXT_LAYER_CHARS = 16
THUMBNAIL_SIZE = (320, 452)  # an A4 page's proportions
THUMBNAIL_FORMAT, THUMBNAIL_CONTENT_TYPE = "WEBP", "image/webp"
_FONTS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
)

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Limits:
    max_chars: int
    max_pages: int
    max_pixels: int
    ocr_seconds: int
    engine: str  # KITE_OCR_ENGINE
    languages: str


@dataclass
class Reading:
    text: str = ""
    pages: int | None = None
    text_source: str = ""  # TEXT, OCR, or "" when nothing was read
    engine: str = ""  # the OCR engine that read some of it
    partial: str = ""  # said to the person when only part of the document was read
    thumbnail: bytes | None = None


def read(data: bytes, *, content_type: str, filename: str, limits: Limits, progress: Progress) -> Reading:
    Image.MAX_IMAGE_PIXELS = limits.max_pixels
    kind = extraction.detect(data, content_type=content_type, filename=filename)
    if kind == extraction.PDF:
        return _read_pdf(data, limits, progress)
    if kind == extraction.IMAGE:
        return _read_image(data, limits, progress)
    text = extraction.extract_text(data, content_type=content_type, filename=filename, max_chars=limits.max_chars)
    return Reading(text=text, text_source=TEXT if text else "", thumbnail=text_thumbnail(text) if text else None)


# --- PDF ------------------------------------------------------------------------------------------------------


def _read_pdf(data: bytes, limits: Limits, progress: Progress) -> Reading:
    pages = extraction.pdf_pages(data)
    count = len(pages)
    if count > limits.max_pages:
        raise ExtractionError(f"This PDF has {count:,} pages; Kite reads documents of at most {limits.max_pages:,}.")
    texts: list[str | None] = [extraction.pdf_page_text(page) for page in pages]
    del pages
    scanned = [number for number, text in enumerate(texts) if text is None or _letters(text) < MIN_TEXT_LAYER_CHARS]
    reading = Reading(pages=count, text_source=TEXT)
    thumbnail_made = False
    if scanned and limits.engine != "off":
        pdfium = _open_pdfium(data)
        try:
            reading.thumbnail = _pdf_thumbnail(pdfium)
            thumbnail_made = True
            engine = _start_ocr(limits)
            reading.engine, reading.text_source = engine.name, OCR
            budget = _Budget(limits.ocr_seconds)
            for done, number in enumerate(scanned):
                if done and (budget.spent() or _chars(texts) >= limits.max_chars):
                    reading.partial = _stopped(count - len(scanned) + done, count) if budget.spent() else ""
                    break
                progress(number + 1, count)
                page = pdfium[number]
                try:
                    image = _render(page, limits.max_pixels)
                finally:
                    page.close()
                texts[number] = engine.read(image)
                image.close()
        finally:
            pdfium.close()
    if all(text is None for text in texts):
        raise ExtractionError(extraction.PDF_DAMAGED)
    reading.text = _joined(texts, limits.max_chars)
    if not thumbnail_made:
        reading.thumbnail = _pdf_thumbnail_of(data)
    if not reading.text:
        reading.text_source = ""
    return reading


def _letters(text: str) -> int:
    return sum(character.isalnum() for character in text)


def _chars(texts: list[str | None]) -> int:
    return sum(len(text) for text in texts if text)


def _joined(texts: list[str | None], max_chars: int) -> str:
    return extraction.normalise("\n\n".join(text for text in texts if text))[:max_chars].rstrip()


def _open_pdfium(data: bytes):
    import pypdfium2 as pdfium

    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as error:
        raise ExtractionError(extraction.PDF_DAMAGED) from error


def _render(page, max_pixels: int) -> Image.Image:
    """One page drawn at OCR_DPI, or smaller when that would pass the pixel limit (a poster-sized page)."""
    width, height = page.get_size()  # in points, 72 to the inch
    scale = OCR_DPI / 72
    if width * height * scale * scale > max_pixels:
        scale = (max_pixels / max(width * height, 1.0)) ** 0.5
    return page.render(scale=scale, grayscale=True).to_pil()


def _pdf_thumbnail(pdfium) -> bytes | None:
    """The first page drawn small, or None: a page PDFium cannot draw costs the thumbnail, not the document."""
    if len(pdfium) == 0:
        return None
    page = pdfium[0]
    try:
        width, height = page.get_size()
        scale = min(THUMBNAIL_SIZE[0] / max(width, 1.0), THUMBNAIL_SIZE[1] / max(height, 1.0))
        return _thumbnail_bytes(page.render(scale=scale).to_pil())
    except (ValueError, OSError, ArithmeticError, RuntimeError):  # pypdfium2's PdfiumError is a RuntimeError
        return None
    finally:
        page.close()


def _pdf_thumbnail_of(data: bytes) -> bytes | None:
    try:
        pdfium = _open_pdfium(data)
    except ExtractionError:
        return None  # pypdf read its text; a thumbnail is not worth failing the document for
    try:
        return _pdf_thumbnail(pdfium)
    finally:
        pdfium.close()


# --- Images ---------------------------------------------------------------------------------------------------


def _read_image(data: bytes, limits: Limits, progress: Progress) -> Reading:
    image = _open_image(data, limits.max_pixels)
    count = getattr(image, "n_frames", 1)
    if count > limits.max_pages:
        raise ExtractionError(f"This image has {count:,} pages; Kite reads documents of at most {limits.max_pages:,}.")
    reading = Reading(pages=count)
    texts: list[str | None] = []
    engine = _start_ocr(limits) if limits.engine != "off" else None
    budget = _Budget(limits.ocr_seconds)
    try:
        for number, frame in enumerate(ImageSequence.Iterator(image)):
            page = _upright(frame, limits.max_pixels)
            if number == 0:
                reading.thumbnail = _thumbnail_bytes(page.copy())
            if engine is None:
                break
            if number and (budget.spent() or _chars(texts) >= limits.max_chars):
                reading.partial = _stopped(number, count) if budget.spent() else ""
                break
            progress(number + 1, count)
            texts.append(engine.read(page))
            page.close()
    except (OSError, SyntaxError, ValueError) as error:  # Pillow's ways of saying a frame is damaged
        if not texts:
            raise ExtractionError("The image is damaged and could not be read.") from error
        reading.partial = _stopped(len(texts), count)
    reading.text = _joined(texts, limits.max_chars)
    if engine is not None:
        reading.engine = engine.name
        reading.text_source = OCR if reading.text else ""
    return reading


def _open_image(data: bytes, max_pixels: int) -> Image.Image:
    _register_heif()
    with warnings.catch_warnings():
        # Pillow warns between its limit and twice it, and refuses past that: both are refusals here.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ExtractionError(_too_many_pixels(max_pixels)) from None
        except (OSError, SyntaxError, ValueError) as error:
            raise ExtractionError("The image is damaged or in a format Kite cannot read.") from error
    if image.width * image.height > max_pixels:
        raise ExtractionError(_too_many_pixels(max_pixels))
    return image


def _too_many_pixels(max_pixels: int) -> str:
    return (
        f"This image is too large to read: Kite reads images of up to {max_pixels // 1_000_000:,} million pixels. "
        "It may be built to overload readers."
    )


def _upright(frame: Image.Image, max_pixels: int) -> Image.Image:
    """A page as it should be seen: turned by its EXIF orientation (phones), in greyscale or colour."""
    if frame.width * frame.height > max_pixels:
        raise ExtractionError(_too_many_pixels(max_pixels))
    page = ImageOps.exif_transpose(frame) or frame
    return page.convert("RGB" if page.mode not in ("1", "L", "I;16", "I") else "L")


def _register_heif() -> None:
    try:
        import pillow_heif
    except ImportError:  # pragma: no cover - installed with Kite; HEIC is then simply not read
        return
    pillow_heif.register_heif_opener()


# --- OCR time ---------------------------------------------------------------------------------------------------


class _Budget:
    """CPU seconds spent on OCR by this process and the engines it ran (Tesseract is a process of its own).
    The first page is always read, whatever the budget."""

    def __init__(self, seconds: int) -> None:
        self.seconds = seconds
        self.start = _cpu_seconds()

    def spent(self) -> bool:
        return _cpu_seconds() - self.start > self.seconds


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _start_ocr(limits: Limits) -> ocr.Engine:
    # Reading stops at KITE_OCR_SECONDS of its own accord; the hard CPU limit set by documents.sandbox for the
    # parsing is lifted to its ceiling now, for the engine.
    soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    if hard != resource.RLIM_INFINITY:
        resource.setrlimit(resource.RLIMIT_CPU, (hard, hard))
    try:
        return ocr.engine(limits.engine, limits.languages)
    except ocr.OcrUnavailable as error:
        raise ExtractionError(str(error)) from error


def _stopped(done: int, count: int) -> str:
    return (
        f"Only {done:,} of {count:,} pages were read: reading the rest would take longer than Kite allows for one "
        "document."
    )


# --- Thumbnails -------------------------------------------------------------------------------------------------


def _thumbnail_bytes(image: Image.Image) -> bytes:
    image.thumbnail(THUMBNAIL_SIZE)
    if image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, format=THUMBNAIL_FORMAT, quality=70)
    return buffer.getvalue()


def text_thumbnail(text: str) -> bytes:
    """The start of a text, Word or web document set on a page."""
    width, height = THUMBNAIL_SIZE
    page = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    font = _font(11)
    margin, line_height, y = 18, 14, 18
    for paragraph in text.splitlines()[:60]:
        line = ""
        for word in paragraph.split():
            candidate = f"{line} {word}".strip()
            if draw.textlength(candidate, font=font) > width - 2 * margin and line:
                draw.text((margin, y), line, fill=40, font=font)
                y, line = y + line_height, word
                if y > height - margin:
                    return _thumbnail_bytes(page)
            else:
                line = candidate
        draw.text((margin, y), line, fill=40, font=font)
        y += line_height
        if y > height - margin:
            break
    return _thumbnail_bytes(page)


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in _FONTS:
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size)
