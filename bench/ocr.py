"""OCR quality and speed per engine (READ-01), and the time a thumbnail takes (READ-02).

Pages come from devtools.testing.scans: four typed documents (two English, one French, one German), each at 150 and
300 dpi, clean and as a scan (turned, blurred, specked). Each engine reads every page in this process, one page
at a time on one thread, as a worker's child process does. `python -m bench.ocr` prints the section alone.
"""

from __future__ import annotations

import statistics
import time

from devtools.testing import scans
from devtools.testing.samples import make_docx, make_pdf
from documents import ocr, reading

WORD = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ENGINES = {"Tesseract": ("tesseract", "eng+fra+deu"), "RapidOCR": ("rapidocr", "")}


def measure() -> dict:
    pages = scans.pages()
    results: dict = {"engines": {}, "pages": len(pages)}
    for label, (choice, languages) in ENGINES.items():
        try:
            engine = ocr.engine(choice, languages)
        except ocr.OcrUnavailable as error:
            results["engines"][label] = {"missing": str(error)}
            continue
        cells: dict[str, dict] = {}
        for page in pages:
            started = time.perf_counter()
            text = engine.read(page.image)
            seconds = time.perf_counter() - started
            cell = cells.setdefault(f"{page.dpi} dpi, {'scanned' if page.scanned else 'clean'}", _empty())
            cell["cer"].append(scans.character_error_rate(page.truth, text))
            cell["recall"].append(scans.word_recall(page.truth, text))
            cell["folded"].append(scans.word_recall(page.truth, text, fold_accents=True))
            cell["seconds"].append(seconds)
            cell["by_language"].setdefault(page.language, []).append(scans.word_recall(page.truth, text))
        results["engines"][label] = {"name": engine.name, "cells": cells}
    results["thumbnails"] = _thumbnail_times()
    return results


def _empty() -> dict:
    return {"cer": [], "recall": [], "folded": [], "seconds": [], "by_language": {}}


def _thumbnail_times(repeats: int = 20) -> dict[str, float]:
    """Milliseconds to draw one thumbnail, median of `repeats`."""
    text = scans.TEXTS["en-letter"][1]
    photo = scans.encoded(scans.photo(text))
    pdf = make_pdf(text)
    word = make_docx(text.splitlines())
    limits = reading.Limits(
        max_chars=200_000, max_pages=500, max_pixels=100_000_000, ocr_seconds=60, engine="off", languages=""
    )
    cases = {
        "PDF, first page drawn by PDFium": (pdf, "application/pdf"),
        "Photo (PNG, 1654 x 700), scaled": (photo, "image/png"),
        "Word file, text set on a page": (word, WORD),
    }
    times = {}
    for label, (data, content_type) in cases.items():
        samples = []
        for _ in range(repeats):
            started = time.perf_counter()
            read = reading.read(data, content_type=content_type, filename="file", limits=limits, progress=_quiet)
            samples.append(time.perf_counter() - started)
            assert read.thumbnail
        times[label] = statistics.median(samples) * 1000
    return times


def _quiet(page: int, pages: int) -> None:
    pass


def markdown(results: dict) -> str:
    rows = []
    for label, engine in results["engines"].items():
        if "missing" in engine:
            rows.append(f"| {label} | not installed: {engine['missing']} | | | | |")
            continue
        for cell_label, cell in engine["cells"].items():
            seconds = statistics.mean(cell["seconds"])
            rows.append(
                f"| {engine['name']} | {cell_label} | {statistics.mean(cell['cer']):.3f} | "
                f"{statistics.mean(cell['recall']):.3f} | {statistics.mean(cell['folded']):.3f} | "
                f"{seconds:.2f} s ({1 / seconds:.2f} pages/s) |"
            )
    languages = []
    for engine in results["engines"].values():
        if "missing" in engine:
            continue
        merged: dict[str, list[float]] = {}
        for cell in engine["cells"].values():
            for language, values in cell["by_language"].items():
                merged.setdefault(language, []).extend(values)
        languages.append(
            f"| {engine['name']} | "
            + " | ".join(f"{statistics.mean(merged[code]):.3f}" for code in ("eng", "fra", "deu"))
            + " |"
        )
    thumbnails = "\n".join(f"| {label} | {ms:.1f} ms |" for label, ms in results["thumbnails"].items())
    return f"""## 5. Reading scans: OCR quality and speed

{results["pages"]} pages rendered by the suite itself (`devtools/testing/scans.py`): a dentist's letter and a
plumber's invoice in English, a benefits letter in French and a gardener's invoice in German, set in a serif font
at 11 pt on A4, each at 150 and 300 dpi, clean and as a scan (turned by up to 1.5°, blurred, specked). Character
error rate is the edit distance over the page's length; word recall is the share of the page's words found, each
as often as it appears; "accents aside" compares words with their accents removed. Seconds are per page, on one
thread, as a worker's child process reads them; a worker reads as many documents at once as it has threads.

| engine | pages | character error rate | word recall | word recall, accents aside | time per page |
|---|---|---|---|---|---|
{chr(10).join(rows)}

Word recall by language, all pages:

| engine | English | French | German |
|---|---|---|---|
{chr(10).join(languages)}

**The choice.** Tesseract reads every language better, accents included, and takes about half the time, so
`KITE_OCR_ENGINE=auto` takes it wherever it is installed (the image installs it with English, French, German
and orientation data). RapidOCR is what a checkout with nothing but Python reads with: good on English, fair on
French once accents are set aside (its alphabet has é but not ü, ö or ß), weak on German. It detects text on
pages scaled to at most 3,600 pixels a side: its default of 2,000 lost whole lines of 300 dpi pages (English
recall 0.84 and 0.93 rather than 1.0), at twice the time per page.

Thumbnails, median of 20, in the child process that reads the document:

| document | time |
|---|---|
{thumbnails}"""


if __name__ == "__main__":
    print(markdown(measure()))
