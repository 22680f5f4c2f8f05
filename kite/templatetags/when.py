"""`when` (a moment) and `day` (a date) written in the request's time zone and locale (kite.locales), loaded in
every template."""

from __future__ import annotations

from django import template

from kite import locales

register = template.Library()


@register.filter(expects_localtime=False)
def when(value) -> str:
    """ "Dec 2, 2026, 5:05 PM CET" or "2 Dec 2026, 17:05 CET", as the person's region writes it."""
    return locales.when(value) if value else ""


@register.filter(expects_localtime=False)
def day(value) -> str:
    """ "Dec 2, 2026" or "2 Dec 2026"."""
    return locales.day(value) if value else ""
