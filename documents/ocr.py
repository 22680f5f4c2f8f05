"""OCR engines: the text of one page image (READ-01).

Two engines, chosen by KITE_OCR_ENGINE (docs/benchmarks.md has the measurement behind the choice):

- Tesseract, where the operating system has it (the image and compose install it with English, French and German):
  the better reader of accented Latin text, and it turns pages scanned sideways or upside down by itself.
- RapidOCR (PaddleOCR's models run by ONNX Runtime), installed from PyPI with its models inside the package, so a
  checkout with nothing but Python reads scans too. It reads sideways and upside-down lines, but drops many
  accents (its alphabet has é but not ü, ö or ß).

`auto` takes Tesseract when it is installed with at least one of KITE_OCR_LANGUAGES, RapidOCR otherwise.
Only documents.sandbox's child process calls this module: an engine is loaded once per child and read pages go
through it one at a time, so memory stays flat however many pages a document has.
"""

from __future__ import annotations

import functools
import io
import os
import shutil
import subprocess
from typing import Protocol

from PIL import Image

# One page may not take longer than this, in seconds; a page is a few seconds at 300 dpi.
PAGE_SECONDS = 120


class OcrUnavailable(Exception):
    """No engine can run here; the message says what to install."""


class Engine(Protocol):
    name: str

    def read(self, image: Image.Image) -> str: ...


class Tesseract:
    def __init__(self, executable: str, languages: str, version: str, orientation: bool = True) -> None:
        self.executable = executable
        self.languages = languages
        self.name = f"Tesseract {version}"
        # --psm 1: segment the page after detecting its orientation (with the osd data), so turned pages read
        # upright; without that data, --psm 3 segments the page as it lies.
        self.page_mode = "1" if orientation else "3"

    def read(self, image: Image.Image) -> str:
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", compress_level=1)
        answer = subprocess.run(
            [self.executable, "stdin", "stdout", "-l", self.languages, "--psm", self.page_mode],
            input=buffer.getvalue(),
            # One thread, like RapidOCR: a worker reads several documents at once, each in its own child.
            env={**os.environ, "OMP_THREAD_LIMIT": "1"},
            capture_output=True,
            timeout=PAGE_SECONDS,
            check=False,
        )
        if answer.returncode != 0:
            raise OcrUnavailable("Tesseract could not read a page: " + answer.stderr.decode(errors="replace")[-200:])
        return answer.stdout.decode("utf-8", errors="replace")


class RapidOcr:
    MAX_SIDE = 3600

    def __init__(self) -> None:
        from importlib.metadata import version

        from rapidocr_onnxruntime import RapidOCR

        # One thread: a worker reads several documents at once, each in its own child. Pages are detected at up
        # to MAX_SIDE pixels: its default of 2,000 shrinks a 300 dpi A4 page until whole lines are lost
        # (docs/benchmarks.md).
        self._engine = RapidOCR(intra_op_num_threads=1, inter_op_num_threads=1, max_side_len=self.MAX_SIDE)
        self.name = f"RapidOCR {version('rapidocr-onnxruntime')}"

    def read(self, image: Image.Image) -> str:
        import numpy as np

        found, _ = self._engine(np.asarray(image.convert("RGB")))
        return _lines(found or [])


def _lines(found: list) -> str:
    """RapidOCR's boxes joined into lines: boxes whose vertical centres are close are one line, left to right."""
    boxes = []
    for corners, text, _score in found:
        ys = [point[1] for point in corners]
        xs = [point[0] for point in corners]
        boxes.append((sum(ys) / len(ys), max(ys) - min(ys), min(xs), text))
    boxes.sort()
    lines: list[list[tuple[float, str]]] = []
    last_centre, last_height = None, 0.0
    for centre, height, left, text in boxes:
        if last_centre is not None and abs(centre - last_centre) < max(height, last_height) / 2:
            lines[-1].append((left, text))
        else:
            lines.append([(left, text)])
            last_centre, last_height = centre, height
    return "\n".join(" ".join(text for _, text in sorted(line)) for line in lines)


def _tesseract(languages: str) -> Tesseract | None:
    executable = shutil.which("tesseract")
    if executable is None:
        return None
    try:
        listed = subprocess.run(
            [executable, "--list-langs"], capture_output=True, timeout=30, check=False, text=True
        ).stdout.split()
        version = subprocess.run(
            [executable, "--version"], capture_output=True, timeout=30, check=False, text=True
        ).stdout.split()
    except (OSError, subprocess.TimeoutExpired):
        return None
    wanted = [language for language in languages.split("+") if language in listed]
    if not wanted:
        return None
    return Tesseract(executable, "+".join(wanted), version[1] if len(version) > 1 else "", "osd" in listed)


@functools.cache
def engine(choice: str, languages: str) -> Engine:
    """The engine KITE_OCR_ENGINE names; raises OcrUnavailable when it cannot run here."""
    if choice in ("auto", "tesseract"):
        found = _tesseract(languages)
        if found is not None:
            return found
        if choice == "tesseract":
            raise OcrUnavailable(f"Tesseract is not installed with any of the languages {languages}.")
    try:
        return RapidOcr()
    except ImportError as error:
        raise OcrUnavailable("No OCR engine is installed (rapidocr-onnxruntime or Tesseract).") from error
