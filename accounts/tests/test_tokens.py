import pytest
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.tests.factories import PASSWORD


def obtain(client, username="alice", password=PASSWORD, name="laptop"):
    return client.post("/api/auth/token/", {"username": username, "password": password, "name": name}, format="json")


def test_obtain_token_with_password(alice):
    """ACC-03: POST /api/auth/token/ returns a named token that authenticates API calls."""
    answer = obtain(APIClient())
    assert answer.status_code == 201
    body = answer.json()
    assert set(body) == {"token", "id", "name"} and body["name"] == "laptop"
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
    """ACC-03: the list shows name, created and last use, never the key."""
    alice_api.get("/api/quota/")
    answer = alice_api.get("/api/auth/tokens/")
    assert answer.status_code == 200
    [token] = answer.json()["results"]
    assert set(token) == {"id", "name", "created", "last_used"}
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
