"""The activity page: the person's own history, a page at a time (LIFE-06)."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from activity.selectors import events_of

PAGE_SIZE = 50


@login_required
def activity_list(request):
    page = Paginator(events_of(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "activity/list.html", {"page": page, "days": settings.KITE_ACTIVITY_DAYS})
