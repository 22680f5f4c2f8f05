from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import services
from accounts.models import ApiToken
from accounts.tests.factories import PASSWORD
from conftest import change_password_on_page


def obtain(client, username="alice", password=PASSWORD, name="laptop"):
    return client.post("/api/auth/token/", {"username": username, "password": password, "name": name}, format="json")


def test_obtain_token_with_password(alice):
    """ACC-03: POST /api/auth/token/ returns a named token that authenticates API calls."""
    answer = obtain(APIClient())
    assert answer.status_code == 201
    body = answer.json()
    assert set(body) == {"token", "id", "name", "expires"} and body["name"] == "laptop" and body["expires"] is None
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    assert client.get("/api/quota/").status_code == 200


def test_tokens_are_stored_hashed(alice):
    """ACC-03: the key is never stored; only its hash and a short prefix are."""
    key = obtain(APIClient()).json()["token"]
    token = ApiToken.objects.get(user=alice)
    stored = [str(getattr(token, f.attname)) for f in ApiToken._meta.concrete_fields]
    assert all(key not in value for value in stored)
    assert token.key_hash != key and len(token.key_hash) == 64


@pytest.mark.parametrize(
    "body",
    [
        {"username": "alice", "password": "wrong"},
        {"username": "nobody", "password": "correct horse battery"},
        {"username": "alice"},
        {},
    ],
)
def test_bad_credentials_get_400_and_no_token(alice, body):
    """ACC-03: bad or missing credentials answer 400 and create no token."""
    answer = APIClient().post("/api/auth/token/", body, format="json")
    assert answer.status_code == 400
    assert set(answer.json()) >= {"detail", "code"}
    assert not ApiToken.objects.exists()


def test_list_never_shows_keys_and_last_used_is_recorded(alice, alice_api):
    """ACC-03: the list shows name, created, last use and expiry, never the key."""
    alice_api.get("/api/quota/")
    answer = alice_api.get("/api/auth/tokens/")
    assert answer.status_code == 200
    [token] = answer.json()["results"]
    assert set(token) == {"id", "name", "created", "last_used", "expires"}
    assert token["last_used"] is not None


def test_revoked_token_stops_working(alice):
    """ACC-03: DELETE /api/auth/tokens/{id}/ revokes; the key then answers 401."""
    body = obtain(APIClient()).json()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    assert client.delete(f"/api/auth/tokens/{body['id']}/").status_code == 204
    assert client.get("/api/quota/").status_code == 401


def test_it_checks_access(alice, bob, bob_api):
    """SEC-04: another user's token id answers 404 and stays valid."""
    body = obtain(APIClient()).json()
    assert bob_api.delete(f"/api/auth/tokens/{body['id']}/").status_code == 404
    assert ApiToken.objects.filter(pk=body["id"]).exists()
    ids = [t["id"] for t in bob_api.get("/api/auth/tokens/").json()["results"]]
    assert body["id"] not in ids


@pytest.mark.parametrize("header", ["Token", "Token not-a-real-key", "Token a b", "Bearer x"])
def test_bad_token_headers_get_401(db, header):
    """D-16: unknown or malformed credentials answer 401."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    assert client.get("/api/quota/").status_code == 401


def test_a_token_can_expire(client, alice):
    """ACC-03: a token made with `expires_in_days` says when it expires and stops working then."""
    answer = client.post(
        "/api/auth/token/",
        {"username": "alice", "password": "correct horse battery", "name": "laptop", "expires_in_days": 7},
        content_type="application/json",
    )
    assert answer.status_code == 201, answer.content
    created = answer.json()
    assert created["expires"] is not None
    headers = {"HTTP_AUTHORIZATION": f"Token {created['token']}"}
    assert client.get("/api/quota/", **headers).status_code == 200
    listed = client.get("/api/auth/tokens/", **headers).json()["results"]
    assert [t["expires"] for t in listed] == [created["expires"]]
    ApiToken.objects.filter(pk=created["id"]).update(expires=timezone.now() - timedelta(seconds=1))
    assert client.get("/api/quota/", **headers).status_code == 401


@pytest.mark.parametrize("days", [0, 366, "soon"])
def test_a_token_expiry_out_of_range_is_refused(client, alice, days):
    """ACC-03, SEC-06: an expiry of 0 or over 365 days, or not a number, answers 400 and makes no token."""
    answer = client.post(
        "/api/auth/token/",
        {"username": "alice", "password": "correct horse battery", "expires_in_days": days},
        content_type="application/json",
    )
    assert answer.status_code == 400
    assert not ApiToken.objects.exists()


def test_changing_the_password_revokes_every_token(client, alice, alice_api):
    """ACC-03: a new password, from the password page or anywhere else, ends every API token of the person."""
    assert alice_api.get("/api/quota/").status_code == 200
    client.force_login(alice)
    answer = change_password_on_page(client, "another fine passphrase")
    assert answer.status_code == 302
    assert alice_api.get("/api/quota/").status_code == 401
    assert not ApiToken.objects.filter(user=alice).exists()


def test_a_password_set_in_a_shell_revokes_tokens_but_other_saves_do_not(alice, alice_api):
    """ACC-03: set_password() then save() revokes the tokens; saving anything else keeps them."""
    alice.email = "alice@elsewhere.example"
    alice.save()
    assert alice_api.get("/api/quota/").status_code == 200
    alice.set_password("yet another passphrase")
    alice.save()
    assert alice_api.get("/api/quota/").status_code == 401


def test_the_settings_page_makes_an_expiring_token(client, alice):
    """ACC-03, UI-04: the settings page offers an expiry and lists it; it says a password change ends tokens."""
    client.force_login(alice)
    page = client.get("/accounts/settings/").content.decode()
    assert "Every token stops working when you change your password." in page
    client.post("/accounts/settings/", {"form": "token", "name": "phone", "expires_in_days": "30"})
    token = ApiToken.objects.get(user=alice, name="phone")
    assert timedelta(days=29) < token.expires - timezone.now() <= timedelta(days=30)
    assert token.expires.strftime("%-d %b %Y") in client.get("/accounts/settings/").content.decode()


def test_a_token_dies_with_its_password_however_the_password_changes(alice, alice_api, staff):
    """ACC-03: a token made under one password stops working once the password is different, even when the
    change bypasses User.save (a direct UPDATE) or makes the password unusable (the admin can)."""
    from django.contrib.auth.hashers import make_password

    from accounts.models import User

    assert alice_api.get("/api/quota/").status_code == 200
    User.objects.filter(pk=alice.pk).update(password=make_password("changed behind everyone's back"))
    assert alice_api.get("/api/quota/").status_code == 401

    _, key = services.token_create(user=staff, name="ops")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/quota/").status_code == 200
    staff.set_unusable_password()
    User.objects.filter(pk=staff.pk).update(password=staff.password)
    assert client.get("/api/quota/").status_code == 401


def test_a_token_made_with_the_old_password_while_it_changes_never_works(alice):
    """ACC-03: a token obtained with the old password that lands after the change is dead on arrival."""
    from accounts.models import User

    authenticated = User.objects.get(pk=alice.pk)  # what the token endpoint holds after checking the password
    alice.set_password("the new passphrase")
    alice.save()
    _, key = services.token_create(user=authenticated, name="racing")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/quota/").status_code == 401
