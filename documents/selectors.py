"""Reads shared by the document pages and the API: one filter for a person's document list.

Both take the same parameters (`q`, `topic`, `state`, `ordering`) with the same meaning. The API answers 400
to a bad value; the page ignores it, since a hand-edited address should still show the list.
"""

from __future__ import annotations

import operator
from datetime import timedelta
from functools import reduce
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import connections
from django.db.models import Case, Exists, F, OuterRef, Q, QuerySet, Value, When
from django.http import QueryDict
from django.utils import timezone

from documents import search
from documents.models import Document, DocumentQuerySet
from kite.parsing import MAX_ID
from topics.models import DocumentTopic

# Each ordering ends on the primary key, so pages never overlap when values tie.
ORDERINGS = {
    "-created": ("-created", "-pk"),
    "created": ("created", "pk"),
    "title": ("title", "pk"),
    "-title": ("-title", "-pk"),
    "-size_bytes": ("-size_bytes", "-pk"),
    "size_bytes": ("size_bytes", "pk"),
    # Undated documents last either way, newest added first among them.
    "-date": (F("date").desc(nulls_last=True), "-created", "-pk"),
    "date": (F("date").asc(nulls_last=True), "-created", "-pk"),
}
ORDERING_LABELS = {
    "-created": "Newest first",
    "created": "Oldest first",
    "title": "Title A–Z",
    "-title": "Title Z–A",
    "-size_bytes": "Largest first",
    "size_bytes": "Smallest first",
    "-date": "Dated newest first",
    "date": "Dated oldest first",
}
DEFAULT_ORDERING = "-created"
BEST_MATCH = ("-search_rank", "-created", "-pk")


class DocumentFilterForm(forms.Form):
    """A choice or date given with no value (`?state=`) is an error, as any other value outside its choices."""

    CHOICES = ("topic", "state", "ordering", "date_after", "date_before")

    def clean(self):
        cleaned = super().clean()
        for name in self.CHOICES:
            if name in self.data and not self.data[name]:
                self.add_error(name, "Give a value, or leave the parameter out.")
        return cleaned


NO_TOPIC = "none"
MAX_TOPICS_FILTERED = 20


class TopicsField(forms.Field):
    """`?topic=3&topic=7&topic=none`: topic ids, and `none` for documents filed under no topic."""

    widget = forms.SelectMultiple

    def to_python(self, value):
        values = list(dict.fromkeys(str(v).strip() for v in (value or [])))  # a topic given twice is one topic
        if not values:
            return []
        if len(values) > MAX_TOPICS_FILTERED:
            raise forms.ValidationError(f"Filter by at most {MAX_TOPICS_FILTERED} topics.")
        chosen: list[int | str] = []
        for item in values:
            if item == NO_TOPIC:
                chosen.append(NO_TOPIC)
            elif item.isascii() and item.isdigit() and 1 <= int(item) <= MAX_ID:
                chosen.append(int(item))
            else:
                raise forms.ValidationError(f"{item!r} is neither a topic id nor {NO_TOPIC!r}.")
        return list(dict.fromkeys(chosen))

    def validate(self, value) -> None:
        """Nothing required; a parameter given with no value is caught by the form."""


class TopicsFilter(django_filters.Filter):
    field_class = TopicsField


class DocumentFilter(django_filters.FilterSet):
    """A person's documents narrowed by search, topic and state, in the chosen order.

    Without `ordering`, a search lists the best match first and any other list the newest first. The owner
    is `request.user`: a search matches only their words.
    """

    q = django_filters.CharFilter(method="filter_q", strip=True)
    topic = TopicsFilter(method="filter_topic")
    state = django_filters.ChoiceFilter(choices=Document.State.choices)
    # The document's own date, from and to (inclusive).
    date_after = django_filters.DateFilter(field_name="date", lookup_expr="gte")
    date_before = django_filters.DateFilter(field_name="date", lookup_expr="lte")
    ordering = django_filters.ChoiceFilter(choices=list(ORDERING_LABELS.items()), method="filter_ordering")

    class Meta:
        model = Document
        fields: list[str] = []
        form = DocumentFilterForm

    def filter_q(self, queryset: DocumentQuerySet, name: str, value: str) -> QuerySet[Document]:
        return search.document_search(queryset, value, owner=self.request.user)

    def filter_topic(self, queryset: DocumentQuerySet, name: str, value: list) -> DocumentQuerySet:
        """Documents filed under any of the topics (a suggestion of one is not filing), or, for `none`, under no
        topic at all. One topic keeps the plain join its index serves; several, or `none`, ask per document.

        The assignments are asked through their copy of their document's owner and trash state (always the
        document's, and the list holds only the person's live documents): each question is then a probe of an
        index of the person's own filing, never of everybody's filing under a system topic."""
        if not value:
            return queryset
        ids = [item for item in value if item != NO_TOPIC]
        if ids and len(ids) == 1 and NO_TOPIC not in value:
            # Each of the newest documents is looked up in the topic's index of filed, live documents alone.
            return queryset.filter(
                assignments__topic_id=ids[0],
                assignments__source__in=DocumentTopic.FILING_SOURCES,
                assignments__document_owner=self.request.user,
                assignments__document_live=True,
            )
        filed = DocumentTopic.objects.filed_live_of(self.request.user).filter(document=OuterRef("pk"))
        conditions = [Q(Exists(filed.filter(topic_id__in=ids)))] if ids else []
        if NO_TOPIC in value:
            conditions.append(~Q(Exists(filed)))
        return queryset.filter(reduce(operator.or_, conditions))

    def filter_ordering(self, queryset: DocumentQuerySet, name: str, value: str) -> DocumentQuerySet:
        return queryset  # applied last, in filter_queryset, where the default depends on the search

    def filter_queryset(self, queryset: Any) -> Any:
        queryset = super().filter_queryset(queryset)
        ordering = self.form.cleaned_data.get("ordering")
        if ordering:
            return self._index_counted(queryset.order_by(*ORDERINGS[ordering]))
        return self._index_counted(queryset.order_by(*(BEST_MATCH if self.searching else ORDERINGS[DEFAULT_ORDERING])))

    def _index_counted(self, queryset: DocumentQuerySet) -> DocumentQuerySet:
        """A list narrowed by topics and nothing else is counted from the indexes of the person's filed, live
        documents (`TopicsCount`), not by asking each of their documents: a count that reads the person's filing
        alone. That holds for the lists Kite shows, recognised by their conditions: the API's (every live document)
        and the page's (uploads left out: those under a topic, rare, are found through an index of the documents'
        state). Any other list is counted by its own query."""
        topics = self.form.cleaned_data.get("topic") or []
        if not topics:
            return queryset
        user = self.request.user
        live = Document.objects.owned_by(user)
        for listed, stored in ((live, False), (live.stored(), True)):
            if _same_conditions(queryset, self.filter_topic(listed, "topic", topics)):
                return queryset.counted_by(TopicsCount(user, topics, listed, stored=stored))
        return queryset

    @property
    def searching(self) -> bool:
        return bool(self.form.cleaned_data.get("q"))


def _same_conditions(one: QuerySet, other: QuerySet) -> bool:
    """Whether the two querysets select with the same conditions, as SQL: a subquery's expression compares equal
    only to itself, so two filters built alike are compared by what they ask the database."""
    if one.query.where == other.query.where:
        return True
    try:
        compiled = [query.query.get_compiler(using=query.db).compile(query.query.where) for query in (one, other)]
    except (EmptyResultSet, FullResultSet):
        return False
    return compiled[0] == compiled[1]


class TopicsCount:
    """How many of `listed` (a person's live documents, or those of them stored) are filed under any of `topics`
    (ids, and `none` for under no topic), counted from the person's filing (`DocumentTopic.filed_live_of`): each
    topic's documents from its index, several topics' without the documents filed under two of them twice, and
    those under no topic as the list's documents less those under any.

    The assignments of uploads still in flight are left out when `listed` leaves the uploads out (a topic set by
    hand before the upload ends); they are few, and found through an index of the documents' state.
    """

    def __init__(self, user, topics: list, listed: DocumentQuerySet, *, stored: bool) -> None:
        self.ids = [item for item in topics if item != NO_TOPIC]
        self.none = NO_TOPIC in topics
        self.listed = listed
        self.filed = DocumentTopic.objects.filed_live_of(user)
        if stored:
            self.filed = self.filed.without_uploads_of(user)

    def count(self) -> int:
        """The count, in one statement: its parts are read in one snapshot of the database, so a document
        trashed, restored, filed or confirmed meanwhile is counted by all of them or by none."""
        parts: list[tuple[str, QuerySet]] = []
        if len(self.ids) == 1:  # a document is filed once under a topic
            parts.append(("+", self.filed.filter(topic_id=self.ids[0]).values("document")))
        elif self.ids:  # and under two of the ids counts once
            parts.append(("+", self.filed.filter(topic_id__in=self.ids).values("document").distinct()))
        if self.none:  # none of the documents filed under no topic is filed under one of the ids
            parts.append(("+", self.listed.order_by().values("pk")))
            # In the document's order: PostgreSQL then reads the person's filing from its index by owner and
            # document, in that order, and keeps each document once as it goes (23 ms for 144,000 filings). Without
            # it, where one person owns nearly every row, it hashed every filing instead: 77 ms.
            parts.append(("-", self.filed.values("document").distinct().order_by("document")))
        terms, params = [], []
        for sign, part in parts:
            try:
                sql, part_params = part.query.get_compiler(using=part.db).as_sql()
            except EmptyResultSet:
                continue  # a condition that can match nothing counts nothing
            terms.append(f"{sign} (SELECT COUNT(*) FROM ({sql}) AS counted)")
            params.extend(part_params)
        if not terms:
            return 0
        with connections[self.listed.db].cursor() as cursor:
            cursor.execute(f"SELECT 0 {' '.join(terms)}", params)
            return cursor.fetchone()[0]


def document_filter(params: QueryDict, queryset: DocumentQuerySet, request, *, lenient: bool) -> DocumentFilter:
    """The filter for `params`; with `lenient`, values that are not valid are dropped instead of refused."""
    filterset = DocumentFilter(params, queryset=queryset, request=request)
    if lenient and not filterset.is_valid():
        params = params.copy()
        for name in filterset.errors:
            params.pop(name, None)
        filterset = DocumentFilter(params, queryset=queryset, request=request)
    return filterset


RECENT_UPLOADS_HOURS = 24
RECENT_UPLOADS_SHOWN = 20


def recent_uploads(user) -> list[Document]:
    """The person's uploads of the last day for the upload page, those that failed first, then newest first.

    What the page's own session showed is gone once the person leaves it; these rows come from Kite's records,
    so the results (and uploads left unfinished) are still there when they come back.
    """
    since = timezone.now() - timedelta(hours=RECENT_UPLOADS_HOURS)
    failed_first = Case(When(state=Document.State.FAILED, then=Value(0)), default=Value(1))
    return list(
        Document.objects.owned_by(user)
        .filter(created__gte=since)
        .with_topics()
        .order_by(failed_first, "-created", "-pk")[:RECENT_UPLOADS_SHOWN]
    )
