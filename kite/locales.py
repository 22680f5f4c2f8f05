"""Dates and times as the person's region writes them, in Kite's English: "Dec 2, 2026, 5:05 PM" for someone in
the United States, "2 Dec 2026, 17:05" in Germany or Britain, "2 Dec 2026, 5:05 pm" in Australia.

The browser says where people are (the `Accept-Language` header: "de-DE", or "de", whose likely region is
Germany), and the pages are in English, so the locale is English *as written in that region* from the Unicode
CLDR, through Babel: `en_DE`, `en_US`, `en_AU`. A region CLDR has no English for takes international English
(`en_001`) with the clock of the person's own language, so a person in China (24-hour clock) does not read
"5:05 pm". No header, or none Babel reads, keeps day, month, year and the 24-hour clock (`en_GB`).

`TimezoneMiddleware` (kite.middleware) sets the locale for each request together with its time zone; the
`when` and `day` template filters (kite.templatetags.when) write with it. The API keeps ISO 8601.
"""

from __future__ import annotations

import datetime
from contextvars import ContextVar
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.core import get_global, parse_locale
from babel.dates import format_date, format_time
from django.utils import dateformat, timezone
from django.utils.translation.trans_real import parse_accept_lang_header

DEFAULT = "en_GB"
INTERNATIONAL = "en_001"  # CLDR's English for the world: day first, 12-hour clock
INTERNATIONAL_24 = "en_150"  # CLDR's English for Europe: day first, 24-hour clock
MAX_HEADER_CHARS = 255

_current: ContextVar[Locale | None] = ContextVar("kite_locale", default=None)


def header_read(accept_language: str) -> str:
    """What is read of an `Accept-Language` header: its whole entries within the first `MAX_HEADER_CHARS`.

    An entry cut in two would make the whole header unreadable, and the cache of `locale_for` is keyed by what
    this returns, so however long the headers clients send, it holds short keys only.
    """
    if len(accept_language) <= MAX_HEADER_CHARS:
        return accept_language
    end = accept_language.rfind(",", 0, MAX_HEADER_CHARS + 1)
    return accept_language[:end] if end > 0 else ""


@lru_cache(maxsize=1024)
def locale_for(accept_language: str) -> Locale:
    """The locale dates are written in for a request with this `Accept-Language` header (as `header_read` reads
    it); never an error, whatever the header says."""
    for tag, _quality in parse_accept_lang_header(header_read(accept_language)):
        if tag == "*":
            continue
        try:
            return _english_of(Locale.parse(tag, sep="-"))
        except (ValueError, TypeError, UnknownLocaleError):
            continue
    return Locale.parse(DEFAULT)


def _english_of(wanted: Locale) -> Locale:
    territory = wanted.territory or _likely_territory(wanted.language)
    if wanted.language == "en" and not wanted.territory:
        return Locale.parse("en")  # plain "en": CLDR's root English, as the United States writes it
    try:
        return Locale.parse(f"en_{territory}") if territory else Locale.parse(DEFAULT)
    except UnknownLocaleError:
        pattern = str(wanted.time_formats["short"].pattern)
        return Locale.parse(INTERNATIONAL_24 if "H" in pattern else INTERNATIONAL)


def _likely_territory(language: str) -> str | None:
    # Read from the identifier alone: CLDR's likely locale may be one Babel has no data for ("no" → no_Latn_NO).
    likely = get_global("likely_subtags").get(language)
    return parse_locale(likely)[1] if likely else None


def activate(accept_language: str):
    """Make the request's locale current; returns the token `deactivate` takes."""
    return _current.set(locale_for(header_read(accept_language or "")))


def deactivate(token) -> None:
    _current.reset(token)


def current() -> Locale:
    return _current.get() or Locale.parse(DEFAULT)


def when(value: datetime.datetime) -> str:
    """A moment: the date, the time and the time zone's abbreviation, in the current time zone and locale."""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    locale = current()
    zone = dateformat.format(local, "T") if timezone.is_aware(value) else ""
    wall = local.replace(tzinfo=None)  # Babel would write an aware time in UTC
    written = f"{format_date(wall, 'medium', locale=locale)}, {format_time(wall, 'short', locale=locale)}"
    return f"{written} {zone}".rstrip()


def day(value: datetime.date) -> str:
    """A day: a document's date, or the day of a moment in the current time zone."""
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return format_date(value, "medium", locale=current())
