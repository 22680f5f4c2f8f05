"""A paginator that counts search matches in the page query itself."""

from __future__ import annotations

from typing import cast

from django.core.exceptions import EmptyResultSet
from django.core.paginator import EmptyPage, Page, Paginator
from django.db import connections
from django.db.models import F, OrderBy, QuerySet

from kite.parsing import MAX_ID, is_whole_number


class SearchPaginator(Paginator):
    """Pages search results in two small queries: the page's ids with the number of matches, then their rows.

    Ranking already visits every match, so the separate COUNT a paginator runs would only search again. The first
    query gathers each match's id and sort keys once (the rank from the in-row rank vector, the date, the id) in a
    common table expression, then counts them and keeps the page's best with a bounded (top-N) sort: ``WITH matches
    AS (…) SELECT pk, (SELECT count(*) FROM matches) FROM matches ORDER BY … LIMIT … OFFSET …``. Named twice, the
    expression is materialized, evaluated once (PostgreSQL does so unasked; the keyword that asks for it would shut
    out SQLite before 3.35, which Django still supports). Sorting every match in full, as a window count needs, cost
    a third of a common word's query. The inner query has no order of its own, so PostgreSQL never walks a column's
    index in the hope of stopping early (for a search sorted by date, title or size that meant testing every row's
    vector): it finds the matches through the search index. The second query fetches the listed rows alone, with
    their snippets and topics, by primary key. Other querysets are paged as usual.

    One reliance on Django's Paginator, named here: its `count` is a cached property, so assigning `count`
    fills that cache and a later `page.paginator.count` asks nothing more.
    """

    @property
    def _queryset(self) -> QuerySet:
        return cast(QuerySet, self.object_list)

    def _searching(self) -> bool:
        return "search_rank" in self._queryset.query.annotations and "count" not in self.__dict__

    def page(self, number):
        if not self._searching() or not is_whole_number(str(number)) or int(number) < 1:
            return super().page(number)
        number = int(number)
        bottom = (number - 1) * self.per_page
        if bottom > MAX_ID:  # no search has that many matches, and the database could not take such an offset
            return super().page(number)
        ranked = self._ranked(bottom=bottom)
        if not ranked and number > 1:
            return super().page(number)  # past the end: count, and answer as any paginator does
        self.count = ranked[0][1] if ranked else 0
        listed = {row.pk: row for row in self._listed([pk for pk, _ in ranked])}
        rows = [listed[pk] for pk, _ in ranked if pk in listed]
        return Page(rows, number, self)

    def _ranked(self, bottom: int) -> list[tuple]:
        """The ids of the page starting at match `bottom`, each with the number of matches."""
        source = self._queryset
        order = [_order_expression(item) for item in (source.query.order_by or source.model._meta.ordering)]
        keys = {f"_order_{index}": item.expression for index, item in enumerate(order)}
        inner = source.order_by().annotate(**keys).values_list("pk", *keys)
        try:
            sql, params = inner.query.get_compiler(using=inner.db).as_sql()
        except EmptyResultSet:  # a condition that can match nothing, as Django answers it for any query
            return []
        columns = ", ".join(f"o{index}" for index in range(len(order)))
        ordering = ", ".join(_order_sql(f"o{index}", item) for index, item in enumerate(order))
        with connections[inner.db].cursor() as cursor:
            cursor.execute(
                f"WITH matches (pk, {columns}) AS ({sql}) "
                f"SELECT pk, (SELECT count(*) FROM matches) FROM matches ORDER BY {ordering} LIMIT %s OFFSET %s",
                (*params, self.per_page, bottom),
            )
            to_python = source.model._meta.pk.to_python
            return [(to_python(pk), total) for pk, total in cursor.fetchall()]

    def _listed(self, ids: list) -> QuerySet:
        """The rows `ids` name, with the search's columns, annotations and prefetches, fetched by primary key.

        The search's conditions are not repeated: the ids come from them, and with them PostgreSQL could read the
        page through the search index again instead of the primary key.
        """
        source = self._queryset
        rows = source.model._default_manager.filter(pk__in=ids)
        rows.query.deferred_loading = source.query.deferred_loading
        annotations = {name: source.query.annotations[name] for name in source.query.annotation_select}
        prefetches = source._prefetch_related_lookups  # type: ignore[attr-defined]  # Django's, not in the stubs
        return rows.annotate(**annotations).prefetch_related(*prefetches)

    def get_page(self, number):
        """As Paginator.get_page (a valid page, whatever `number` is), without counting first while searching."""
        if not self._searching():
            return super().get_page(number)
        try:
            return self.page(number if is_whole_number(str(number)) and int(number) >= 1 else 1)
        except EmptyPage:
            return super().get_page(number)


def _order_expression(item) -> OrderBy:
    if not isinstance(item, str):
        return item
    return F(item[1:]).desc() if item.startswith("-") else F(item).asc()


def _order_sql(column: str, order: OrderBy) -> str:
    """`column` sorted as `order` sorts its expression (direction, and where NULLs go when it says)."""
    nulls = " NULLS FIRST" if order.nulls_first else " NULLS LAST" if order.nulls_last else ""
    return f"{column} {'DESC' if order.descending else 'ASC'}{nulls}"
