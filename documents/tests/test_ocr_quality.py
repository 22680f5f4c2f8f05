"""READ-01: how well each OCR engine reads typed pages rendered like real scans (devtools.testing.scans).

The floor: on clean pages at 300 dpi, Tesseract (what the image installs, and what `auto` takes where it is
installed) finds at least 90% of the words in English, French and German, accents included. RapidOCR (what a
checkout with nothing but Python uses) finds at least 90% of the English and French words once accents are set
aside; its alphabet lacks ü, ö and ß, so German is reported in docs/benchmarks.md, not held to the floor.
"""

from __future__ import annotations

import pytest

from devtools.testing import scans
from documents import ocr

pytestmark = pytest.mark.slow  # OCR takes seconds a page
CLEAN_300 = [page for page in scans.pages(dpis=(300,)) if not page.scanned]


def test_tesseract_reads_nine_words_in_ten_of_clean_pages_in_every_language():
    engine = ocr.engine("tesseract", "eng+fra+deu")
    for page in CLEAN_300:
        read = engine.read(page.image)
        assert scans.word_recall(page.truth, read) >= 0.9, page.label
        assert scans.character_error_rate(page.truth, read) <= 0.05, page.label


@pytest.mark.parametrize("name", ["en-letter", "fr-lettre"])
def test_rapidocr_reads_nine_words_in_ten_of_clean_english_and_french_pages(name):
    engine = ocr.engine("rapidocr", "")
    page = next(page for page in CLEAN_300 if page.name == name)
    assert scans.word_recall(page.truth, engine.read(page.image), fold_accents=True) >= 0.9


def test_auto_takes_tesseract_where_it_is_installed_with_the_languages():
    assert ocr.engine("auto", "eng+fra").name.startswith("Tesseract")
    assert ocr.engine("auto", "xxx").name.startswith("RapidOCR")
