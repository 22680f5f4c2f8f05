"""The SQLite fallback (the embedded mode has no text search types): plain case-insensitive containment.

The title, the filename, the text, the notes and the names of the document's topics are looked through. Plain SQL
has no Unicode-aware case folding, so the fallback runs these as SQLite functions. Accents are ignored
on both sides and a word is looked for without its plural ending, so "receipts" finds "receipt" and "resume"
finds "Résumé", as on PostgreSQL (whose English stemmer finds more forms than plurals).
"""

from __future__ import annotations

import re
from functools import lru_cache

from django.db import connections
from django.db.models import F, FloatField, Func, OuterRef, QuerySet, Subquery, TextField, Value

from documents.search.query import fold, parse, word_stem
from documents.search.snippets import START, STOP, SnippetField
from topics.models import DocumentTopic

FALLBACK_WEIGHTS = (1.0, 0.4, 0.1, 0.1, 0.1)  # title, filename, text, notes, the names of its topics
FALLBACK_SNIPPET_CHARS = 200
FALLBACK_SNIPPET_LEAD = 60


@lru_cache(maxsize=256)
def _patterns(q: str) -> tuple[tuple[tuple[re.Pattern, bool], ...], ...]:
    """Per group, (pattern, negated) per term: the term's words in order, separated by anything but letters.

    The patterns are for text passed through `fold`.
    """
    return tuple(
        tuple(
            (re.compile(r"\W+".join(re.escape(word_stem(word)) for word in term.words), re.IGNORECASE), term.negated)
            for term in group
        )
        for group in parse(q)
    )


def fallback_rank(
    title: str | None,
    filename: str | None,
    text: str | None,
    q: str,
    notes: str | None = "",
    topics: str | None = "",
) -> float:
    """0 when the document does not match `q`; otherwise higher the more terms match its title and filename.

    `topics` is the names of the topics the document is filed under, one per line; each is looked through on
    its own, so a phrase never spans the end of one name and the start of the next.
    """
    names = (topics or "").split("\n")
    fields = tuple(fold(field or "") for field in (title, filename, text, notes, *names))
    weights = FALLBACK_WEIGHTS + FALLBACK_WEIGHTS[-1:] * (len(names) - 1)
    rank = 0.0
    for group in _patterns(q):
        pattern, negated = group[0]
        if negated:
            if any(pattern.search(field) for field in fields):
                return 0.0
            continue
        weighted = zip(weights, fields, strict=True)
        best = max((weight for weight, field in weighted for pattern, _ in group if pattern.search(field)), default=0.0)
        if not best:
            return 0.0
        rank += best
    return rank or 0.01  # only exclusions, and none of them matched


def fallback_snippet(text: str | None, q: str) -> str:
    """A window of `text` around its first match, matches between START and STOP (escaped later)."""
    text = (text or "").replace(START, "").replace(STOP, "")
    folded = fold(text)  # as long as the text: a match's place in it is its place in the text
    patterns = [pattern for group in _patterns(q) for pattern, negated in group if not negated]
    matches = [m for m in (pattern.search(folded) for pattern in patterns) if m]
    begin = max(0, min(m.start() for m in matches) - FALLBACK_SNIPPET_LEAD) if matches else 0
    window = text[begin : begin + FALLBACK_SNIPPET_CHARS]
    if patterns:
        combined = re.compile("|".join(f"(?:{p.pattern})" for p in patterns), re.IGNORECASE)
        marked, end = [], 0
        for match in combined.finditer(fold(window)):
            marked += [window[end : match.start()], START, window[match.start() : match.end()], STOP]
            end = match.end()
        window = "".join(marked) + window[end:]
    return "…" + window.lstrip() if begin else window


def _install_fallback_functions(dbapi_connection) -> None:
    dbapi_connection.create_function("kite_search_rank", 6, fallback_rank, deterministic=True)
    dbapi_connection.create_function("kite_search_snippet", 2, fallback_snippet, deterministic=True)


def fallback_functions_install(sender, connection, **kwargs) -> None:
    """On every new SQLite connection (documents.apps connects this to `connection_created`)."""
    if connection.vendor == "sqlite":
        _install_fallback_functions(connection.connection)


def fallback_search(queryset: QuerySet, q: str) -> QuerySet:
    connection = connections[queryset.db]
    connection.ensure_connection()  # opened before this module was imported: install on it too
    _install_fallback_functions(connection.connection)
    topics = Subquery(
        DocumentTopic.objects.filed()
        .filter(document=OuterRef("pk"))
        .order_by()
        .values("document")
        .annotate(names=Func(F("topic__name"), Value("\n"), function="group_concat", output_field=TextField()))
        .values("names")
    )
    rank = Func(
        F("title"),
        F("filename"),
        F("text"),
        Value(q),
        F("notes_text"),
        topics,
        function="kite_search_rank",
        output_field=FloatField(),
    )
    snippet = Func(F("text"), Value(q), function="kite_search_snippet", output_field=SnippetField())
    return queryset.annotate(search_rank=rank, search_snippet=snippet).filter(search_rank__gt=0)
