"""A document's own date, found in its text: the date a letter, invoice or receipt was written.

Candidates are found by pattern near the top of the text, where letters and invoices put their date, and each is
read by dateparser, which knows month names and numeric orders in many languages. The first plausible one wins:
between 1900 (EARLIEST_YEAR) and a year from now (a due date may lie ahead; a birth date in a form far
back is still a date of that form, but a year 0024 is an OCR slip).
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from django.conf import settings

# Letters, invoices and receipts put their date in the first lines; a date deep in a contract is a term of it.
SEARCHED_CHARS = 4000
EARLIEST_YEAR = 1900

_MONTH = r"[^\W\d_]{3,10}\.?"
_CANDIDATE = re.compile(
    r"""
    (?<![\d./-])(?:
        \d{4}-\d{1,2}-\d{1,2}                                # 2026-11-03
      | \d{1,2}[./-]\d{1,2}[./-](?:\d{4}|\d{2})               # 03.11.2026, 3/11/26
      | \d{1,2}(?:st|nd|rd|th|er|\.)?\s+MONTH,?\s+\d{4}       # 3 November 2026, 3. November 2026, 1er mars 2026
      | MONTH\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}             # November 3, 2026
    )(?![./-]?\d)\b
    """.replace("MONTH", _MONTH),
    re.VERBOSE,
)
# dateparser's languages by the OCR language codes Kite is configured with.
_LANGUAGES = {"eng": "en", "fra": "fr", "deu": "de", "spa": "es", "ita": "it", "nld": "nl", "por": "pt"}


def languages() -> list[str]:
    configured = [_LANGUAGES.get(code) for code in settings.KITE_OCR_LANGUAGES.split("+")]
    return [code for code in configured if code] or ["en"]


def find_date(text: str, *, today: date | None = None) -> date | None:
    """The first plausible date in the first lines of `text`, or None."""
    import dateparser  # imported where dates are read (the worker), not on every web request

    today = today or date.today()
    latest = today + timedelta(days=366)
    parser_settings = {
        "DATE_ORDER": settings.KITE_DATE_ORDER,
        "REQUIRE_PARTS": ["day", "month", "year"],
        "PREFER_DAY_OF_MONTH": "first",
        "RETURN_AS_TIMEZONE_AWARE": False,
    }
    for match in _CANDIDATE.finditer(text[:SEARCHED_CHARS]):
        found = dateparser.parse(match.group(0), languages=languages(), settings=parser_settings)
        if found is not None and date(EARLIEST_YEAR, 1, 1) <= found.date() <= latest:
            return found.date()
    return None
