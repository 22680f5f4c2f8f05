"""Running a search: PostgreSQL text search over the owner's part of the index, or the SQLite fallback."""

from __future__ import annotations

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchQueryField, SearchRank
from django.db import connections
from django.db.models import (
    BooleanField,
    Expression,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    QuerySet,
    TextField,
    Value,
)
from django.db.models.functions import Greatest, Left, Lower, StrIndex, Substr

from documents.search.fallback import fallback_search
from documents.search.index import CONFIG, OWNER_TSQUERY
from documents.search.query import Term, first_word, parse, tsquery_source
from documents.search.snippets import SNIPPET_WINDOW_CHARS, SNIPPET_WINDOW_LEAD, START, STOP, SnippetField


def document_search(queryset: QuerySet, q: str, *, owner) -> QuerySet:
    """Documents of `queryset` matching `q`, with `search_rank` and `search_snippet`, best match first.

    `queryset` holds `owner`'s documents only: the match itself is confined to their words as well. The
    documents come without their text: the snippet is what a list shows of it.
    """
    q = q.replace("\x00", " ")  # PostgreSQL text can hold no NUL, and a search needs none
    groups = parse(q)
    if connections[queryset.db].vendor == "postgresql":
        queryset = _postgresql_search(queryset, groups, getattr(owner, "pk", owner))
    else:
        queryset = fallback_search(queryset, q)
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
    needle = first_word(groups)
    if needle:
        # The needle is unaccented and has no plural ending, so the text is looked through unaccented too.
        unaccented = Func(F("text"), function="unaccent", output_field=TextField())
        start = Greatest(Value(1), StrIndex(Lower(unaccented), Value(needle)) - Value(SNIPPET_WINDOW_LEAD))
        window: Func = Substr("text", start, SNIPPET_WINDOW_CHARS)
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
        short_word="2",  # a headline option, formatted into the SQL either way
        max_fragments=2,
        fragment_delimiter=" … ",
    )
    # ts_rank scores exclusions as zero: rank by the wanted terms alone.
    wanted = tuple(group for group in groups if not group[0].negated)
    if wanted:
        rank: Expression = SearchRank(
            F("rank_vector"), SearchQuery(tsquery_source(wanted), config=CONFIG, search_type="raw")
        )
    else:
        rank = Value(0.0, output_field=FloatField())
    return queryset.filter(owner_match(owner_id, groups)).annotate(
        search_rank=rank, search_snippet=ExpressionWrapper(headline, output_field=SnippetField())
    )
