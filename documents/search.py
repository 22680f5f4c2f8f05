"""Full-text search over a person's documents: PostgreSQL text search, with a simple fallback on SQLite.

The query syntax is the same on both databases:

- ``tax 2024``: every word must match (AND); each word also matches as a prefix, so ``tax`` finds "taxes";
- ``"annual report"``: the words next to each other, in this order, as whole words;
- ``-draft``, ``-"first version"``: leave out documents containing this word or phrase (whole words);
- ``invoice or receipt``: either one (``or`` binds tighter than the implicit AND).

PostgreSQL matches against a stored, GIN-indexed tsvector (``Document.search_vector``) built with the
``simple`` configuration: words are lower-cased but never stemmed or dropped as stop words, so search behaves
the same for every language people write in; prefix matching gives most of what stemming would. Every word
in that vector carries its owner's id (``42:invoice``) and so does every word of a query, which gives each
person their own part of the one index: a search reads only its owner's postings, so it costs the same
however many documents other people keep, and a query can never match anybody else's words. Results are
ranked by a second, small vector (``Document.rank_vector``): a match in the title counts most, then one in
the filename, then one in the opening of the text; documents that match only further down come after,
newest first. SQLite (the embedded mode) has no text search types: there every word, phrase or exclusion is
plain case-insensitive containment in the title, filename or text, and title matches come first.

Snippets are HTML whose only markup is ``<mark>``: the database marks matches with control characters it can
never return from the text itself, and Python escapes everything else.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import lru_cache

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchQueryField,
    SearchRank,
    SearchVector,
    SearchVectorField,
)
from django.core.paginator import EmptyPage, Paginator
from django.db import connections
from django.db.backends.signals import connection_created
from django.db.models import (
    BooleanField,
    Count,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    Index,
    QuerySet,
    RowRange,
    TextField,
    Value,
    Window,
)
from django.db.models.functions import Greatest, Left, Lower, StrIndex, Substr
from django.utils.safestring import SafeString, mark_safe

CONFIG = "simple"
# Only the opening of very long texts is indexed: a tsvector may not exceed 1 MB.
INDEXED_TEXT_CHARS = 200_000
RANKED_TEXT_CHARS = 500
NAME_SEPARATORS = "._-+~,;:()[]{}#@&=!'"
MAX_QUERY_CHARS = 500
MAX_TERMS = 20
# ts_headline reads the whole text it is given, so it gets a window around the first match instead.
SNIPPET_WINDOW_CHARS = 600
SNIPPET_WINDOW_LEAD = 120
SNIPPET_MAX_CHARS = 400
START, STOP = "\x02", "\x03"
# SQL functions (migration 0006) that prefix each word of a tsvector or tsquery with "<owner id>:".
OWNER_TSVECTOR = "kite_owner_tsvector"
OWNER_TSQUERY = "kite_owner_tsquery"

_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
_WORD = re.compile(r"\w+")
_TSQUERY_UNSAFE = re.compile(r"['\\]")
_CONTROL = re.compile(r"[\x00\x01\x04-\x08\x0b-\x1f\x7f]")
_MARKS = re.compile(f"([{START}{STOP}])")


def search_vector() -> Func:
    """What a search matches: every word of the title, the filename and the text, each prefixed with the owner's id.

    PostgreSQL only (NULL elsewhere). `kite_owner_tsvector` is defined by migration 0006.
    """
    words = SearchVector(
        "title", _split("title"), "filename", _split("filename"), Left("text", INDEXED_TEXT_CHARS), config=CONFIG
    )
    return OnPostgreSQL(Func(F("owner_id"), words, function=OWNER_TSVECTOR, output_field=SearchVectorField()))


def rank_vector() -> Func:
    """What a search ranks by: the title, then the filename, then the opening of the text.

    A few hundred bytes, so it stays in the table row: ranking thousands of matches never has to fetch and
    read their full vectors, which is what made broad searches slow.
    """
    return OnPostgreSQL(
        SearchVector("title", _split("title"), config=CONFIG, weight="A")
        + SearchVector("filename", _split("filename"), config=CONFIG, weight="B")
        + SearchVector(Left("text", RANKED_TEXT_CHARS), config=CONFIG, weight="C")
    )


def _split(field: str) -> Func:
    """`field` with name separators as spaces: the parser reads "tax_2024.pdf" or "report.final" as one word."""
    return Func(
        F(field),
        Value(NAME_SEPARATORS),
        Value(" " * len(NAME_SEPARATORS)),
        function="translate",
        output_field=TextField(),
    )


class OnPostgreSQL(Func):
    """Its expression on PostgreSQL and NULL on other databases, which have no text search types."""

    template = "%(expressions)s"

    def as_sql(self, compiler, connection, **extra_context):
        if connection.vendor != "postgresql":
            return "NULL", []
        return super().as_sql(compiler, connection, **extra_context)


class SearchVectorIndex(GinIndex):
    """A GIN index on PostgreSQL; elsewhere a plain index of the (always NULL) column, so migrations still run."""

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.vendor != "postgresql":
            return Index.create_sql(self, model, schema_editor, using=using, **kwargs)
        return super().create_sql(model, schema_editor, using=using, **kwargs)


@dataclass(frozen=True)
class Term:
    text: str  # as typed, for PostgreSQL's parser
    words: tuple[str, ...]  # its words, for the fallback and for finding a snippet
    phrase: bool = False
    negated: bool = False


@lru_cache(maxsize=256)
def parse(q: str) -> tuple[tuple[Term, ...], ...]:
    """`q` as an AND of OR-groups of terms; an excluded term is always a group of its own."""
    groups: list[list[Term]] = []
    either = False
    for match in _TOKEN.finditer(q[:MAX_QUERY_CHARS]):
        minus, phrase, word = match.groups()
        if word is not None and word.lower() == "or":
            either = bool(groups)
            continue
        if word is not None:
            negated = word.startswith("-")
            text = word[1:] if negated else word
            term = Term(text, tuple(_WORD.findall(text)), negated=negated)
        else:
            term = Term(phrase, tuple(_WORD.findall(phrase)), phrase=True, negated=bool(minus))
        if not term.words:
            continue
        if either and not term.negated and not groups[-1][0].negated:
            groups[-1].append(term)
        else:
            if len(groups) == MAX_TERMS:
                break
            groups.append([term])
        either = False
    return tuple(tuple(group) for group in groups)


def tsquery_source(groups: tuple[tuple[Term, ...], ...]) -> str:
    """The to_tsquery() input for `groups`: quoted terms, so PostgreSQL's parser splits them as it split the text."""

    def operand(term: Term) -> str:
        quoted = "'" + _TSQUERY_UNSAFE.sub(" ", term.text) + "'"
        if term.negated:
            return "!" + quoted
        return quoted if term.phrase else quoted + ":*"

    return " & ".join("(" + " | ".join(operand(term) for term in group) + ")" for group in groups)


def _first_word(groups: tuple[tuple[Term, ...], ...]) -> str:
    for group in groups:
        for term in group:
            if not term.negated:
                return term.words[0].lower()
    return ""


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


def document_search(queryset: QuerySet, q: str, *, owner) -> QuerySet:
    """Documents of `queryset` matching `q`, with `search_rank` and `search_snippet`, best match first.

    `queryset` holds `owner`'s documents only: the match itself is confined to their words as well. The
    documents come without their text: the snippet is what a list shows of it.
    """
    groups = parse(q)
    if connections[queryset.db].vendor == "postgresql":
        queryset = _postgresql_search(queryset, groups, getattr(owner, "pk", owner))
    else:
        queryset = _fallback_search(queryset, q)
    if not groups:
        queryset = queryset.none()
    return queryset.defer("text").order_by("-search_rank", "-created", "-pk")


class Matches(Func):
    """`vector @@ query` as a condition."""

    template = "(%(expressions)s)"
    arg_joiner = " @@ "
    output_field = BooleanField()


def owner_match(owner_id: int, groups: tuple[tuple[Term, ...], ...]) -> Matches:
    """The condition "matches `groups`" over `owner_id`'s words only (PostgreSQL).

    The query gets the owner's id before each of its words, as the words of their documents have it.
    """
    query = SearchQuery(tsquery_source(groups), config=CONFIG, search_type="raw")
    owned = Func(Value(owner_id), query, function=OWNER_TSQUERY, output_field=SearchQueryField())
    return Matches(F("search_vector"), owned)


def _postgresql_search(queryset: QuerySet, groups, owner_id: int) -> QuerySet:
    query = SearchQuery(tsquery_source(groups), config=CONFIG, search_type="raw")
    needle = _first_word(groups)
    if needle:
        start = Greatest(Value(1), StrIndex(Lower("text"), Value(needle)) - Value(SNIPPET_WINDOW_LEAD))
        window = Substr("text", start, SNIPPET_WINDOW_CHARS)
    else:
        window = Left("text", SNIPPET_WINDOW_CHARS)
    # The markers must not come from the text itself, or the text could place <mark> tags.
    window = Func(window, Value(START + STOP), Value(""), function="translate", output_field=TextField())
    headline = SearchHeadline(
        window,
        query,
        config=CONFIG,
        start_sel=START,
        stop_sel=STOP,
        max_words=18,
        min_words=8,
        short_word=2,
        max_fragments=2,
        fragment_delimiter=" … ",
    )
    # ts_rank scores exclusions as zero: rank by the wanted terms alone.
    wanted = tuple(group for group in groups if not group[0].negated)
    if wanted:
        rank = SearchRank(F("rank_vector"), SearchQuery(tsquery_source(wanted), config=CONFIG, search_type="raw"))
    else:
        rank = Value(0.0, output_field=FloatField())
    return queryset.filter(owner_match(owner_id, groups)).annotate(
        search_rank=rank, search_snippet=ExpressionWrapper(headline, output_field=SnippetField())
    )


class SearchPaginator(Paginator):
    """Pages search results with one query: the page query counts the matches too.

    Ranking already visits every match, so the separate COUNT a paginator runs would only search again.
    The count is a window over all matches sorted as the page is (``COUNT(*) OVER (ORDER BY … ROWS BETWEEN
    UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)``): PostgreSQL then ranks each match once, below the window,
    and sorts the matches once for both, holding only the listed columns, never the text the snippets come
    from. Other querysets are paged as usual.
    """

    def _searching(self) -> bool:
        return "search_rank" in self.object_list.query.annotations and "count" not in self.__dict__

    def page(self, number):
        if not self._searching() or not str(number).isdigit() or int(number) < 1:
            return super().page(number)
        number = int(number)
        bottom = (number - 1) * self.per_page
        query = self.object_list.query
        order = [_order_expression(item) for item in (query.order_by or self.object_list.model._meta.ordering)]
        total = Window(Count("pk"), order_by=order, frame=RowRange(start=None, end=None))
        rows = list(self.object_list.annotate(search_total=total)[bottom : bottom + self.per_page])
        if not rows and number > 1:
            return super().page(number)  # past the end: count, and answer as any paginator does
        self.count = rows[0].search_total if rows else 0
        return self._get_page(rows, number, self)

    def get_page(self, number):
        """As Paginator.get_page (a valid page, whatever `number` is), without counting first while searching."""
        if not self._searching():
            return super().get_page(number)
        try:
            return self.page(number if str(number).isdigit() and int(number) >= 1 else 1)
        except EmptyPage:
            return super().get_page(number)


def _order_expression(item):
    if not isinstance(item, str):
        return item
    return F(item[1:]).desc() if item.startswith("-") else F(item).asc()


# --- The SQLite fallback -------------------------------------------------------
# Plain SQL has no Unicode-aware case folding, so the fallback runs these as SQLite functions.

FALLBACK_WEIGHTS = (1.0, 0.4, 0.1)  # title, filename, text
FALLBACK_SNIPPET_CHARS = 200
FALLBACK_SNIPPET_LEAD = 60


@lru_cache(maxsize=256)
def _patterns(q: str) -> tuple[tuple[tuple[re.Pattern, bool], ...], ...]:
    """Per group, (pattern, negated) per term: the term's words in order, separated by anything but letters."""
    return tuple(
        tuple((re.compile(r"\W+".join(map(re.escape, term.words)), re.IGNORECASE), term.negated) for term in group)
        for group in parse(q)
    )


def fallback_rank(title: str | None, filename: str | None, text: str | None, q: str) -> float:
    """0 when the document does not match `q`; otherwise higher the more terms match its title and filename."""
    fields = (title or "", filename or "", text or "")
    rank = 0.0
    for group in _patterns(q):
        pattern, negated = group[0]
        if negated:
            if any(pattern.search(field) for field in fields):
                return 0.0
            continue
        weighted = zip(FALLBACK_WEIGHTS, fields, strict=True)
        best = max((weight for weight, field in weighted for pattern, _ in group if pattern.search(field)), default=0.0)
        if not best:
            return 0.0
        rank += best
    return rank or 0.01  # only exclusions, and none of them matched


def fallback_snippet(text: str | None, q: str) -> str:
    """A window of `text` around its first match, matches between START and STOP (escaped later)."""
    text = (text or "").replace(START, "").replace(STOP, "")
    patterns = [pattern for group in _patterns(q) for pattern, negated in group if not negated]
    matches = [m for m in (pattern.search(text) for pattern in patterns) if m]
    begin = max(0, min(m.start() for m in matches) - FALLBACK_SNIPPET_LEAD) if matches else 0
    window = text[begin : begin + FALLBACK_SNIPPET_CHARS]
    if patterns:
        combined = re.compile("|".join(f"(?:{p.pattern})" for p in patterns), re.IGNORECASE)
        window = combined.sub(lambda m: START + m.group(0) + STOP, window)
    return "…" + window.lstrip() if begin else window


def _install_fallback_functions(dbapi_connection) -> None:
    dbapi_connection.create_function("kite_search_rank", 4, fallback_rank, deterministic=True)
    dbapi_connection.create_function("kite_search_snippet", 2, fallback_snippet, deterministic=True)


def _on_connection_created(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        _install_fallback_functions(connection.connection)


connection_created.connect(_on_connection_created, dispatch_uid="documents.search.fallback_functions")


def _fallback_search(queryset: QuerySet, q: str) -> QuerySet:
    connection = connections[queryset.db]
    connection.ensure_connection()  # opened before this module was imported: install on it too
    _install_fallback_functions(connection.connection)
    rank = Func(F("title"), F("filename"), F("text"), Value(q), function="kite_search_rank", output_field=FloatField())
    snippet = Func(F("text"), Value(q), function="kite_search_snippet", output_field=SnippetField())
    return queryset.annotate(search_rank=rank, search_snippet=snippet).filter(search_rank__gt=0)
