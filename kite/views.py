"""Cross-app pages: the landing page, the settings page and the health check."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes import views as contenttype_views
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils import timezone
from django.views.decorators.cache import never_cache

from accounts import services as account_services
from accounts.forms import TokenForm
from accounts.models import ApiToken
from documents import storage
from kite.errors import KiteError
from topics.classification import services as classification
from topics.classification.forms import ProviderForm
from topics.classification.models import ProviderSettings


def favicon(request):
    """Browsers ask for /favicon.ico on pages that name no icon (the admin's): Kite's own icon. Its address is
    looked up per request, since with DEBUG off it exists only once static files are collected."""
    return redirect(static("favicon.svg"), permanent=True)


def view_on_site(request, content_type_id: str, object_id: str):
    """The admin's "view on site" redirect, answering 404 for an id its model cannot hold.

    Django's own view turns a malformed integer id into a 404 but lets a malformed UUID (every Kite model's key)
    raise a ValidationError, a 500 on a page any staff member can type.
    """
    try:
        return contenttype_views.shortcut(request, content_type_id, object_id)
    except ValidationError as error:
        raise Http404("No such object.") from error


def home(request):
    if request.user.is_authenticated:
        return redirect("documents:list")
    return render(request, "home.html")


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_broker() -> None:
    import dramatiq

    broker = dramatiq.get_broker()
    client = getattr(broker, "client", None)
    if client is not None:  # Redis / Valkey
        client.ping()
    else:  # RabbitMQ: opening a channel proves the connection
        getattr(broker, "channel")  # noqa: B009  (a RabbitMQ broker opens the channel on access)


@never_cache
def healthz(request):
    """Database, storage and broker, each `ok` or `down`; 503 if any is down."""
    checks = {"database": _check_database, "storage": storage.ping, "broker": _check_broker}
    report = {}
    for name, check in checks.items():
        try:
            check()
            report[name] = "ok"
        except Exception:
            report[name] = "down"
    status = 200 if all(v == "ok" for v in report.values()) else 503
    return JsonResponse(report, status=status)


@login_required
def settings_page(request):
    """UI-04: provider, API tokens and quota in one place; each form posts back here with its name."""
    posted = request.POST.get("form") if request.method == "POST" else None
    own = ProviderSettings.objects.filter(user=request.user).first()
    provider_form = ProviderForm(
        request.POST if posted == "provider" else None,
        initial={
            "kind": own.kind if own else "builtin",
            "base_url": own.base_url if own else "",
            "model": own.model if own else "",
        },
    )
    if own and own.has_api_key:
        provider_form.fields["api_key"].help_text = "A key is stored (hidden). Leave empty to keep it."
    token_form = TokenForm(request.POST if posted == "token" else None)
    new_key = None
    if posted == "provider" and provider_form.is_valid():
        data = provider_form.cleaned_data
        try:
            classification.provider_settings_save(
                user=request.user,
                kind=data["kind"],
                base_url=data["base_url"],
                model=data["model"],
                api_key="" if data["clear_api_key"] else (data["api_key"] or None),
            )
        except KiteError as exc:
            provider_form.add_error(exc.extra.get("field"), exc.detail)
        else:
            messages.success(request, "Provider settings saved.")
            return redirect("settings")
    if posted == "provider-reset":
        classification.provider_settings_delete(user=request.user)
        messages.success(request, "Back to the server's default provider.")
        return redirect("settings")
    if posted == "token" and token_form.is_valid():
        _, new_key = account_services.token_create(
            user=request.user,
            name=token_form.cleaned_data["name"],
            expires_in_days=token_form.cleaned_data["expires_in_days"],
        )
        token_form = TokenForm()
    context = {
        "provider_form": provider_form,
        "provider": classification.provider_summary(request.user, own),
        "token_form": token_form,
        "new_key": new_key,
        "tokens": ApiToken.objects.filter(user=request.user),
        "now": timezone.now(),
    }
    return render(request, "accounts/settings.html", context)
