from django.test import Client


def test_healthz_reports_every_part(db, bucket, broker_service):
    """docs/api.md Health: database, storage and broker are each reported, without authentication."""
    answer = Client().get("/healthz")
    assert answer.status_code == 200
    assert answer.json() == {"database": "ok", "storage": "ok", "broker": "ok"}


def test_healthz_names_the_part_that_is_down(db, broker_service, settings):
    """docs/api.md Health: an unreachable storage answers 503 naming it."""
    options = dict(settings.STORAGES["documents"]["OPTIONS"], endpoint_url="http://127.0.0.1:9")
    settings.STORAGES = {**settings.STORAGES, "documents": {**settings.STORAGES["documents"], "OPTIONS": options}}
    answer = Client().get("/healthz")
    assert answer.status_code == 503
    assert answer.json() == {"database": "ok", "storage": "down", "broker": "ok"}


def test_healthz_names_the_broker_when_it_is_down(db, own_broker):
    """docs/api.md Health: an unreachable broker answers 503 naming it."""
    valkey, _ = own_broker
    assert Client().get("/healthz").status_code == 200
    valkey.kill()
    answer = Client().get("/healthz")
    assert answer.status_code == 503
    assert answer.json() == {"database": "ok", "storage": "ok", "broker": "down"}


def test_the_icon_browsers_ask_for_by_default_is_there(client):
    """UI-05: /favicon.ico (asked for by every admin page) leads to Kite's icon instead of a 404."""
    answer = client.get("/favicon.ico")
    assert answer.status_code == 301 and answer["Location"].endswith("favicon.svg")
