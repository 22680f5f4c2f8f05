"""A paginator that counts search matches in the page query itself."""

from __future__ import annotations

from typing import cast

from django.core.paginator import EmptyPage, Page, Paginator
from django.db.models import Count, F, OrderBy, QuerySet, RowRange, Window
from django.db.models.functions import Coalesce

from kite.parsing import is_whole_number


class SearchPaginator(Paginator):
    """Pages search results in two small queries: the page's ids with the number of matches, then their rows.

    Ranking already visits every match, so the separate COUNT a paginator runs would only search again. The
    first query reads only what ranking needs (each match's id, rank and date, from the in-row rank vector) and
    counts the matches with a window sorted as the page is (``COUNT(*) OVER (ORDER BY … ROWS BETWEEN UNBOUNDED
    PRECEDING AND UNBOUNDED FOLLOWING)``): PostgreSQL ranks each match once, below the window, and sorts narrow
    rows in memory however many there are. The second query fetches the listed rows alone, with their snippets
    and topics, by primary key. Ranking thousands of matches thus never carries their columns through the sort.
    Other querysets are paged as usual.

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
        query = self._queryset.query
        order = [_order_expression(item) for item in (query.order_by or self._queryset.model._meta.ordering)]
        order[0] = _unindexed(order[0])
        total = Window(Count("pk"), order_by=order, frame=RowRange(start=None, end=None))
        ranked = list(
            self._queryset.order_by(*order)
            .annotate(search_total=total)
            .values_list("pk", "search_total")[bottom : bottom + self.per_page]
        )
        if not ranked and number > 1:
            return super().page(number)  # past the end: count, and answer as any paginator does
        self.count = ranked[0][1] if ranked else 0
        listed = {row.pk: row for row in self._listed([pk for pk, _ in ranked])}
        rows = [listed[pk] for pk, _ in ranked if pk in listed]
        return Page(rows, number, self)

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


def _unindexed(order: OrderBy) -> OrderBy:
    """The same order through COALESCE(x, x), which no index provides.

    The count needs every match, so the page is always all matches sorted. Given an order an index provides
    (a search sorted by date, title or size), PostgreSQL would rather walk that index, expecting to stop after
    a page, and test each row against the query, unpacking its matching vector: seconds for a rare word among
    100,000 documents, where the search index finds it at once.
    """
    expression = order.expression
    return OrderBy(
        Coalesce(expression, expression),
        descending=order.descending,
        nulls_first=order.nulls_first,
        nulls_last=order.nulls_last,
    )
