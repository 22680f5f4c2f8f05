"""Running a search: PostgreSQL text search over the owner's part of the index, or the SQLite fallback."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache

from django.contrib.postgres.expressions import ArraySubquery
from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchQueryField,
    SearchRank,
)
from django.db import connections
from django.db.models import (
    BooleanField,
    Expression,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    Q,
    QuerySet,
    TextField,
    Value,
)
from django.db.models.functions import Greatest, Left, Lower, StrIndex, Substr

from documents.search.fallback import fallback_search
from documents.search.index import CONFIG, OWNER_TSQUERY
from documents.search.query import Term, parse, tsquery_source, word_stem
from documents.search.snippets import SNIPPET_WINDOW_CHARS, SNIPPET_WINDOW_LEAD, START, STOP, SnippetField
from topics.models import DocumentTopic, Topic


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


# A word of a topic's name: letters and digits, so that "Work.Projects" or "Tax_2024" are two words each.
_NAME_WORD = re.compile(r"[^\W_]+")


# The topics a person sees (one row each, or a single row without a topic when they have none), and what
# PostgreSQL says of the search's terms: whether each is made only of words search ignores (English "the", "it"),
# so names only a topic it spells whole; each term lower-cased and without its accents, by PostgreSQL's own
# unaccent, as the names are and as a document's words are read; and the wanted words search does not ignore, so
# spelt, which a snippet is centred on. One small statement; through the ORM's expressions it cost several
# milliseconds of Python on every search.
TOPICS_SQL = """
SELECT topic.id, lower(unaccent(topic.name)), terms.ignored, terms.spelt, terms.kept
  FROM (SELECT
          ARRAY(SELECT numnode(to_tsquery(%(config)s::regconfig, source)) = 0
                  FROM unnest(%(sources)s::text[]) WITH ORDINALITY AS given(source, number) ORDER BY number)
            AS ignored,
          ARRAY(SELECT lower(unaccent(spelt))
                  FROM unnest(%(spelt)s::text[]) WITH ORDINALITY AS given(spelt, number) ORDER BY number) AS spelt,
          ARRAY(SELECT lower(unaccent(word))
                  FROM unnest(%(words)s::text[]) WITH ORDINALITY AS given(word, number)
                 WHERE numnode(plainto_tsquery(%(config)s::regconfig, word)) > 0 ORDER BY number) AS kept) AS terms
  LEFT JOIN {table} AS topic ON topic.owner_id = %(owner)s OR topic.owner_id IS NULL
"""
# The wanted words asked about for the snippet: the first that search does not ignore is the one used.
SNIPPET_CANDIDATES = 20


@dataclass
class Named:
    """What the topic lookup found: the topics each term names, and the terms made only of words search ignores
    ("the", "my"), which the index cannot look up (known only when the person has a topic to look at)."""

    topics: dict[Term, list[int]] = field(default_factory=dict)
    ignored: set[Term] = field(default_factory=set)
    # The first wanted word search does not ignore, unaccented and without a plural ending: where a snippet's
    # window is looked for ("zeppelin" in "the zeppelin"), "" when there is none.
    snippet_word: str = ""


def _topics_named(owner_id: int, groups: tuple[tuple[Term, ...], ...]) -> Named:
    """For each term, the topics `owner_id` sees (their own and the system's) whose name it names.

    A term names a topic when its words are words of the name, in order, whatever their case, accents or English
    plural ending ("invoice" names "Invoices", "plans" and "travel plans" name "Travel plans"); a term of words
    search ignores names only the topic it spells whole ("IT", "The Who", but "the" names neither). Not stemmed
    as a document's words are: the stemmer makes "insur" of "Insurance", so the start of a word would name a
    whole topic by accident.
    """
    named = Named()
    terms = list(dict.fromkeys(term for group in groups for term in group))
    if not terms:
        return named
    connection = connections[Topic.objects.db]
    params: dict[str, str | int | list[str]] = {
        "config": CONFIG,
        "owner": owner_id,
        "sources": [tsquery_source(((replace(term, negated=False, phrase=True),),)) for term in terms],
        "spelt": [term.text for term in terms],
        "words": list(
            dict.fromkeys(word for group in groups for term in group if not term.negated for word in term.words)
        )[:SNIPPET_CANDIDATES],
    }
    with connection.cursor() as cursor:
        cursor.execute(TOPICS_SQL.format(table=connection.ops.quote_name(Topic._meta.db_table)), params)
        rows = cursor.fetchall()
    # Every row carries the same answers about the terms: read them once.
    _, _, ignored, spelt, kept = rows[0]
    named.snippet_word = word_stem(kept[0]) if kept else ""
    wanted = [
        (term, tuple(_NAME_WORD.findall(text)), whole_only)
        for term, text, whole_only in zip(terms, spelt, ignored, strict=True)
    ]
    named.ignored = {term for term, _, whole_only in wanted if whole_only}
    for topic_id, name, *_ in rows:
        if topic_id is None:
            continue  # the person sees no topic
        words = tuple(_NAME_WORD.findall(name))
        for term, sought, whole_only in wanted:
            if sought and (words == sought if whole_only else _contains(words, sought)):
                named.topics.setdefault(term, []).append(topic_id)
    return named


# Where "-es" is an English plural ending ("taxes", "churches", "classes", "buses", "bonuses"), not the end of the
# singular and an "-s" ("notes", "houses", "cases", "horses").
_ES_PLURAL = re.compile(r"(?:[xz]|ch|sh|ss|[^aeiou]us)es$")


@lru_cache(maxsize=4096)
def _word_forms(word: str) -> frozenset[str]:
    """`word` (lower-case, unaccented) with each singular it may be the English plural of: "expenses" → {expenses,
    expense, expens}, "companies" → {companies, companie, compani, company}, "notes" → {notes, note}."""
    forms = {word}
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        forms.add(word[:-1])
        if word.endswith("ies"):
            forms.add(word[:-3] + "y")
        elif _ES_PLURAL.search(word):
            forms.add(word[:-2])
    return frozenset(forms)


def _same_word(a: str, b: str) -> bool:
    """Whether `a` and `b` are one word, singular or plural: "expense" is "Expenses" and "movie" is "Movies", but
    "count" is not "County", "not" is not "Notes" and "us" is not "uses" (a shared form is never shorter than
    three letters unless it is the word itself)."""
    return a == b or any(len(form) >= 3 for form in _word_forms(a) & _word_forms(b))


def _contains(words: tuple[str, ...], sought: tuple[str, ...]) -> bool:
    """Whether `sought` is a run of `words`, word by word singular or plural."""
    return any(
        all(_same_word(word, wanted) for word, wanted in zip(words[start : start + len(sought)], sought, strict=True))
        for start in range(len(words) - len(sought) + 1)
    )


class AnyOf(Func):
    """`column = ANY(ARRAY(subquery))`: PostgreSQL runs the subquery once, first, and looks its values up in the
    column's index, so the lookup can join other index conditions in one bitmap (where `IN (subquery)` would be
    tested row by row against a hashed subplan)."""

    template = "(%(expressions)s))"
    arg_joiner = " = ANY("
    output_field = BooleanField()


def _filed_documents(owner_id: int, topic_ids: list[int]) -> QuerySet:
    """The ids of `owner_id`'s live documents filed under one of `topic_ids` (a system topic files everybody's),
    from the topic's filing index."""
    return (
        DocumentTopic.objects.filter(
            topic__in=topic_ids, document_owner=owner_id, document_live=True, source__in=DocumentTopic.FILING_SOURCES
        )
        .order_by()
        .values("document_id")
    )


def _filed_under(owner_id: int, topic_ids: list[int]) -> AnyOf:
    """The condition "filed under one of `topic_ids`", looked up by primary key."""
    return AnyOf(F("pk"), ArraySubquery(_filed_documents(owner_id, topic_ids)))


def _topic_conditions(queryset: QuerySet, owner_id: int, groups, named: Named):
    """The groups the search index answers alone, and the conditions for those a topic's name answers too.

    A group with a term naming a topic matches the documents whose words match it or that are filed under one
    of those topics (read from the topic's filing index). No condition ever asks a document's row whether its
    words match: that unpacks the row's whole vector, and PostgreSQL, which cannot know how many documents a
    topic holds or a word is in, would put such a test on every document of a large topic. So:

    - the groups that name no topic drive the search through the index, as in any search; each group that names
      a topic is then a pair of hashed id sets, the index's matches for its words and the topic's documents;
    - when every group names a topic, the first drives instead: its words' matches and the topic's documents,
      looked up by primary key, combined in one bitmap, so each match's row is read once; an excluded word is
      then the set of the index's matches for it, left out.

    An excluded term that names a topic also leaves out the documents filed under it. A group made only of words
    search ignores ("the insurance", "-the") asks nothing, as it does beside other words in any search.
    """

    def topics_of(group) -> list[int]:
        return sorted({pk for term in group for pk in named.topics.get(term, ())})

    def by_words(group):
        return queryset.model._base_manager.filter(owner_match(owner_id, (group,))).order_by().values("pk")

    groups = [group for group in groups if topics_of(group) or not all(term in named.ignored for term in group)]
    # Whether a group of words alone (no topic, not excluded) is there to drive the search through the index.
    words_drive = any(not group[0].negated and not topics_of(group) for group in groups)
    indexed, conditions, driving = [], [], None
    for group in groups:
        topic_ids = topics_of(group)
        if group[0].negated:
            if words_drive:
                indexed.append(group)
            else:  # the excluded words as whole words, as an exclusion always reads them
                conditions.append(~Q(pk__in=by_words(tuple(replace(t, negated=False, phrase=True) for t in group))))
            if topic_ids:
                conditions.append(~Q(pk__in=_filed_documents(owner_id, topic_ids)))
        elif not topic_ids:
            indexed.append(group)
        elif driving is None and not words_drive:
            driving = Q(owner_match(owner_id, (group,))) | Q(_filed_under(owner_id, topic_ids))
        else:
            conditions.append(Q(pk__in=by_words(group)) | Q(pk__in=_filed_documents(owner_id, topic_ids)))
    if driving is not None:
        conditions.insert(0, driving)
    return tuple(indexed), conditions


def _postgresql_search(queryset: QuerySet, groups, owner_id: int) -> QuerySet:
    query = SearchQuery(tsquery_source(groups), config=CONFIG, search_type="raw")
    named = _topics_named(owner_id, groups)
    indexed, conditions = _topic_conditions(queryset, owner_id, groups, named) if named.topics else (groups, [])
    needle = named.snippet_word
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
    if indexed:
        queryset = queryset.filter(owner_match(owner_id, indexed))
    return queryset.filter(*conditions).annotate(
        search_rank=rank, search_snippet=ExpressionWrapper(headline, output_field=SnippetField())
    )
