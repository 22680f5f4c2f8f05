"""A paginator that counts search matches in the page query itself."""

from __future__ import annotations

from typing import cast

from django.core.paginator import EmptyPage, Page, Paginator
from django.db.models import Count, F, QuerySet, RowRange, Window

from kite.parsing import is_whole_number


class SearchPaginator(Paginator):
    """Pages search results with one query: the page query counts the matches too.

    Ranking already visits every match, so the separate COUNT a paginator runs would only search again.
    The count is a window over all matches sorted as the page is (``COUNT(*) OVER (ORDER BY … ROWS BETWEEN
    UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)``): PostgreSQL then ranks each match once, below the window,
    and sorts the matches once for both, holding only the listed columns, never the text the snippets come
    from. Other querysets are paged as usual.

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
        total = Window(Count("pk"), order_by=order, frame=RowRange(start=None, end=None))
        rows = list(self._queryset.annotate(search_total=total)[bottom : bottom + self.per_page])
        if not rows and number > 1:
            return super().page(number)  # past the end: count, and answer as any paginator does
        self.count = rows[0].search_total if rows else 0
        return Page(rows, number, self)

    def get_page(self, number):
        """As Paginator.get_page (a valid page, whatever `number` is), without counting first while searching."""
        if not self._searching():
            return super().get_page(number)
        try:
            return self.page(number if is_whole_number(str(number)) and int(number) >= 1 else 1)
        except EmptyPage:
            return super().get_page(number)


def _order_expression(item):
    if not isinstance(item, str):
        return item
    return F(item[1:]).desc() if item.startswith("-") else F(item).asc()
