"""The settings page's "Test connection" button."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from topics.classification import services


@login_required
@require_POST
def provider_test(request):
    """DOC-03: run the person's effective provider once on a tiny sample and say how it went, never the key."""
    ok, text = services.provider_check(request.user)
    (messages.success if ok else messages.error)(request, text)
    return redirect("settings")
