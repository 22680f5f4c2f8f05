"""Snippets: the highlighter's raw output made into escaped HTML whose only markup is <mark>."""

from __future__ import annotations

import html
import re

from django.db.models import TextField
from django.utils.safestring import SafeString, mark_safe

# ts_headline reads the whole text it is given, so it gets a window around the first match instead.
SNIPPET_WINDOW_CHARS = 600
SNIPPET_WINDOW_LEAD = 120
SNIPPET_MAX_CHARS = 400
# Match markers: control characters the database can never return from the text itself.
START, STOP = "\x02", "\x03"

_CONTROL = re.compile(r"[\x00\x01\x04-\x08\x0b-\x1f\x7f]")
_MARKS = re.compile(f"([{START}{STOP}])")


class SnippetField(TextField):
    """Turns raw highlighter output (matches between START and STOP) into escaped HTML marked with <mark>."""

    def from_db_value(self, value, expression, connection) -> SafeString:
        return render_snippet(value)


def render_snippet(raw: str | None) -> SafeString:
    """Escaped, whitespace-collapsed, bounded HTML whose only tags are balanced <mark> pairs."""
    text = " ".join(_CONTROL.sub(" ", raw or "").split())
    if len(text) > SNIPPET_MAX_CHARS:
        text = text[:SNIPPET_MAX_CHARS].rstrip() + "…"
    out: list[str] = []
    marking = False
    for piece in _MARKS.split(text):
        if piece == START and not marking:
            out.append("<mark>")
            marking = True
        elif piece == STOP and marking:
            out.append("</mark>")
            marking = False
        elif piece not in (START, STOP):
            out.append(html.escape(piece))
    if marking:
        out.append("</mark>")
    return mark_safe("".join(out))  # every piece of text went through html.escape
