"""Pages rendered like real scans, for OCR tests and `make bench` (READ-01).

Each page is a typed letter, invoice or notice in English, French or German, set in a serif font at 11 pt on A4,
at 150 or 300 dpi. A "clean" page is what a scanner's text mode gives; a "scanned" one is turned by up to a degree
and a half, blurred a little and sprinkled with specks, as a flatbed or a phone gives. The fonts are Debian's
(fonts-liberation and fonts-dejavu, which the suite's Chromium brings and the Dockerfile installs).
"""

from __future__ import annotations

import io
import random
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT_PATHS = (
    "/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
)
A4_INCHES = (8.27, 11.69)

TEXTS = {
    "en-letter": (
        "eng",
        """Harbour Street Dental Practice
14 Harbour Street, Portsmouth PO1 2HB

Dear Mr Whitfield,

Thank you for attending your appointment on 12 March. As discussed, the treatment plan includes two fillings and
a scale and polish, to be completed over three visits. The estimated cost is 245 pounds, of which your insurer
covers seventy percent. Please bring this letter and your policy number to the next appointment, which is booked
for Thursday 4 April at half past nine in the morning.

If you need to change the time, call reception at least twenty-four hours before. Missed appointments without
notice are charged at the standard rate.

Yours sincerely,
Dr Eleanor Marsh""",
    ),
    "en-invoice": (
        "eng",
        """INVOICE 2024-0418
Greenway Plumbing and Heating Ltd, Unit 7 Riverside Estate, Leeds LS11 5QT

Bill to: Margaret Okafor, 22 Beech Grove, Leeds LS6 3AP
Date of issue: 18 April 2024    Payment due: 2 May 2024

Replacement of boiler pressure valve          1    86.00
Labour, two hours at 48.00 per hour            2    96.00
Flushing and refilling the heating system      1    55.00
Subtotal                                            237.00
VAT at twenty percent                                47.40
Total due                                           284.40

Please pay by bank transfer to sort code 20-45-77, account 30918264, quoting the invoice number.""",
    ),
    "fr-lettre": (
        "fra",
        """Caisse d'allocations familiales de Besançon
Service des prestations, 2 rue Général Sarrail, 25000 Besançon

Madame Hélène Dubreuil,

Nous avons bien reçu votre déclaration de ressources pour l'année écoulée. Après vérification, le montant de
votre aide au logement est révisé à compter du premier janvier : il s'élève désormais à 186 euros par mois. Le
versement est effectué le cinq de chaque mois sur le compte que vous nous avez indiqué.

Si votre situation change, qu'il s'agisse d'un déménagement, d'une naissance ou d'une modification de vos
revenus, signalez-le sans délai depuis votre espace personnel. Une déclaration tardive peut entraîner le
remboursement des sommes perçues à tort.

Veuillez agréer, Madame, l'expression de nos salutations distinguées.
Le responsable du service""",
    ),
    "de-rechnung": (
        "deu",
        """Rechnung Nr. 2024-1187
Gärtnerei Müller GmbH, Königsstraße 48, 50667 Köln

An: Frau Jürgen-Weiß, Lindenallee 3, 50939 Köln
Rechnungsdatum: 14. Mai 2024    Fällig bis: 28. Mai 2024

Sehr geehrte Frau Jürgen-Weiß,

für die Gartenpflege im Frühjahr berechnen wir Ihnen folgende Leistungen: Rückschnitt der Hecke, Mähen und
Düngen des Rasens sowie das Pflanzen von zwölf Sträuchern. Die Arbeitszeit betrug insgesamt neun Stunden.

Gesamtbetrag einschließlich Mehrwertsteuer: 642,60 Euro

Bitte überweisen Sie den Betrag unter Angabe der Rechnungsnummer. Für Rückfragen stehen wir Ihnen gerne
zur Verfügung.

Mit freundlichen Grüßen
Gärtnerei Müller""",
    ),
}


@dataclass(frozen=True)
class Page:
    name: str
    language: str
    dpi: int
    scanned: bool
    truth: str
    image: Image.Image

    @property
    def label(self) -> str:
        return f"{self.name} {self.dpi} dpi {'scanned' if self.scanned else 'clean'}"


def font_path() -> str:
    for path in FONT_PATHS:
        if Path(path).exists():
            return path
    raise RuntimeError("The scan test pages need fonts-liberation or fonts-dejavu (Debian packages).")


def render(
    text: str, *, dpi: int = 300, scanned: bool = False, seed: int = 0, height_inches: float = A4_INCHES[1]
) -> Image.Image:
    """`text` typed on an A4 page (or the top `height_inches` of one) at `dpi`, as a greyscale image; `scanned`
    adds the faults of a real scan."""
    width, height = round(A4_INCHES[0] * dpi), round(height_inches * dpi)
    page = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(font_path(), round(11 * dpi / 72))
    margin, line_height = round(dpi * 0.9), round(11 * dpi / 72 * 1.35)
    y = margin
    for line in text.splitlines():
        draw.text((margin, y), line, fill=0, font=font)
        y += line_height
    if not scanned:
        return page
    rng = random.Random(seed)
    page = page.rotate(rng.uniform(-1.5, 1.5), resample=Image.Resampling.BICUBIC, fillcolor=255)
    page = page.filter(ImageFilter.GaussianBlur(radius=dpi / 300 * 0.8))
    draw = ImageDraw.Draw(page)
    for _ in range(width * height // 20_000):  # dust and toner specks
        x, y, r = rng.randrange(width), rng.randrange(height), rng.uniform(0.5, 2.0) * dpi / 300
        draw.ellipse((x - r, y - r, x + r, y + r), fill=rng.randrange(0, 120))
    return page


def pages(dpis: tuple[int, ...] = (150, 300)) -> list[Page]:
    return [
        Page(name, language, dpi, scanned, text, render(text, dpi=dpi, scanned=scanned, seed=index))
        for index, (name, (language, text)) in enumerate(TEXTS.items())
        for dpi in dpis
        for scanned in (False, True)
    ]


def encoded(image: Image.Image, format: str = "PNG", **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=format, **options)
    return buffer.getvalue()


# --- Scores ---------------------------------------------------------------------------------------------------


def _words(text: str, *, fold_accents: bool = False) -> list[str]:
    text = unicodedata.normalize("NFC", text).casefold()
    if fold_accents:
        text = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return re.findall(r"\w+", text)


def word_recall(truth: str, read: str, *, fold_accents: bool = False) -> float:
    """The share of the page's words that OCR found, each as often as it appears."""
    wanted = _words(truth, fold_accents=fold_accents)
    found: dict[str, int] = {}
    for word in _words(read, fold_accents=fold_accents):
        found[word] = found.get(word, 0) + 1
    hits = 0
    for word in wanted:
        if found.get(word, 0):
            found[word] -= 1
            hits += 1
    return hits / len(wanted) if wanted else 1.0


def character_error_rate(truth: str, read: str) -> float:
    """Edit distance over the page's length, whitespace collapsed (layout is not what is measured)."""
    from rapidfuzz.distance import Levenshtein

    expected, got = " ".join(truth.split()), " ".join(read.split())
    return Levenshtein.distance(expected, got) / max(len(expected), 1)


# --- Files as people upload them ------------------------------------------------------------------------------


def photo(text: str, *, dpi: int = 200, seed: int = 0) -> Image.Image:
    """A short typed note, photographed slightly askew: the top third of a page."""
    return render(text, dpi=dpi, scanned=True, seed=seed, height_inches=3.5)


def image_pdf(images: list[Image.Image], dpi: int = 200) -> bytes:
    """A PDF of scanned pages: images only, no text layer, as a scanner's "PDF" button makes."""
    first, *rest = [image.convert("L") for image in images]
    return encoded(first, "PDF", resolution=dpi, save_all=True, append_images=rest)


def mixed_pdf(typed: bytes, scanned: bytes) -> bytes:
    """The pages of a born-digital PDF followed by those of a scanned one."""
    import pypdf

    writer = pypdf.PdfWriter()
    for data in (typed, scanned):
        writer.append(pypdf.PdfReader(io.BytesIO(data)))
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def tiff(images: list[Image.Image], dpi: int = 200) -> bytes:
    """A multi-page TIFF, LZW-compressed, as office scanners and fax software write them."""
    # Copies: an image saved before keeps its last format's settings, which Pillow would carry into the TIFF.
    first, *rest = [image.copy() for image in images]
    return encoded(first, "TIFF", save_all=True, append_images=rest, compression="tiff_lzw", dpi=(dpi, dpi))


def heic(image: Image.Image) -> bytes:
    """The format iPhones save photos in."""
    import pillow_heif

    pillow_heif.register_heif_opener()
    return encoded(image.convert("RGB"), "HEIF", quality=85)


def bomb_png(width: int = 40_000, height: int = 40_000) -> bytes:
    """A PNG of a few hundred bytes declaring `width` x `height` pixels: a decompression bomb."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    rows = zlib.compress(b"\0" * ((width + 7) // 8 + 1) * 64, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
