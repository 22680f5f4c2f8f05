"""ACC-02: every person has a quota, however they were made, and can upload at once."""

from __future__ import annotations

import importlib
import json

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command

from accounts.models import User
from conftest import api_client_for, upload_document
from quotas.models import Quota

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("uploads")]


def assert_can_upload(user: User, unique_bytes) -> None:
    """The quota is the default one, the API shows it, and an upload is charged to it."""
    assert Quota.objects.get(user=user).limit_bytes == settings.KITE_DEFAULT_QUOTA_BYTES
    client = api_client_for(user)
    answer = client.get("/api/quota/")
    assert answer.status_code == 200, answer.content
    assert answer.json()["used_bytes"] == 0
    document = upload_document(client, unique_bytes(700))
    assert document["state"] in ("queued", "skipped")
    assert Quota.objects.get(user=user).used_bytes == 700


def test_create_user_gives_a_quota(unique_bytes):
    """ACC-02: `User.objects.create_user` makes the quota too."""
    user = User.objects.create_user(username="erin", password="a long passphrase 42")
    assert_can_upload(user, unique_bytes)


def test_createsuperuser_gives_a_quota(monkeypatch, unique_bytes):
    """ACC-02: `manage.py createsuperuser` (the README's way to make an administrator) makes the quota too."""
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a long passphrase 42")
    call_command("createsuperuser", "--noinput", "--username", "admin", "--email", "admin@example.com")
    user = User.objects.get(username="admin")
    assert user.is_superuser
    assert_can_upload(user, unique_bytes)


def test_the_admins_add_user_form_gives_a_quota(client, staff, unique_bytes):
    """ACC-02: a person added through the admin's "Add user" form gets the quota too."""
    client.force_login(staff)
    answer = client.post(
        "/admin/accounts/user/add/",
        {"username": "frank", "password1": "a long passphrase 42", "password2": "a long passphrase 42"},
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    assert_can_upload(User.objects.get(username="frank"), unique_bytes)


def test_sign_up_gives_a_quota(client, unique_bytes):
    """ACC-02: the sign-up page makes the quota too."""
    answer = client.post(
        "/accounts/signup/",
        {"username": "gina", "password1": "a long passphrase 42", "password2": "a long passphrase 42"},
    )
    assert answer.status_code == 302
    assert_can_upload(User.objects.get(username="gina"), unique_bytes)


def test_imported_accounts_get_a_quota(tmp_path, unique_bytes):
    """ACC-02: people imported with `loaddata` (which saves rows raw, past User.save) get the quota too."""
    fixture = tmp_path / "people.json"
    fixture.write_text(
        json.dumps(
            [
                {
                    "model": "accounts.user",
                    "pk": 9001,
                    "fields": {"username": "hana", "password": "!", "uuid": "7d1f8a52-8f6e-4a8e-9d53-2b8a1e0c4f11"},
                }
            ]
        )
    )
    call_command("loaddata", str(fixture), verbosity=0)
    assert_can_upload(User.objects.get(username="hana"), unique_bytes)


def test_a_saved_user_keeps_their_quota(alice):
    """ACC-02: saving an existing person never resets their quota."""
    Quota.objects.filter(user=alice).update(limit_bytes=5000, used_bytes=1200)
    alice.email = "new@example.com"
    alice.save()
    quota = Quota.objects.get(user=alice)
    assert (quota.limit_bytes, quota.used_bytes) == (5000, 1200)


def test_the_migration_repairs_people_made_without_a_quota(alice, bob):
    """ACC-02: the data migration gives the default quota to everyone who has none, and leaves others alone."""
    Quota.objects.filter(user=alice).delete()
    Quota.objects.filter(user=bob).update(limit_bytes=5000)
    migration = importlib.import_module("quotas.migrations.0002_quota_for_every_user")
    migration.add_missing_quotas(apps, None)
    assert Quota.objects.get(user=alice).limit_bytes == settings.KITE_DEFAULT_QUOTA_BYTES
    assert Quota.objects.get(user=bob).limit_bytes == 5000
