"""The landing page and the health check."""

from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from documents import storage


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
        broker.channel  # noqa: B018


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
