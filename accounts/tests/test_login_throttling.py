from django.test import Client
from rest_framework.test import APIClient

from accounts.models import ApiToken


def test_token_endpoint_locks_out_after_repeated_failures(alice, settings):
    """ACC-04: after KITE_LOGIN_FAILURE_LIMIT bad passwords the token endpoint answers 429, even to the right one."""
    client = APIClient()
    body = {"username": "alice", "password": "wrong"}
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post("/api/auth/token/", body, format="json").status_code == 400
    locked = client.post("/api/auth/token/", body, format="json")
    assert locked.status_code == 429 and locked.json()["code"] == "throttled"
    right = client.post("/api/auth/token/", {"username": "alice", "password": "correct horse battery"}, format="json")
    assert right.status_code == 429
    assert not ApiToken.objects.exists()


def test_login_page_locks_out_after_repeated_failures(alice, bob, settings):
    """ACC-04: the login page stops accepting a username after repeated failures; other users are unaffected."""
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "alice", "password": "wrong"})
    locked = client.post("/accounts/login/", {"username": "alice", "password": "correct horse battery"})
    assert locked.status_code == 429
    assert b"Too many failed log-in attempts" in locked.content
    assert "_auth_user_id" not in client.session
    other = client.post("/accounts/login/", {"username": "bob", "password": "correct horse battery"})
    assert other.status_code == 302


def test_success_before_the_limit_resets_the_count(alice, settings):
    """ACC-04: a successful log-in clears earlier failures."""
    client = APIClient()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post("/api/auth/token/", {"username": "alice", "password": "wrong"}, format="json")
    good = {"username": "alice", "password": "correct horse battery"}
    assert client.post("/api/auth/token/", good, format="json").status_code == 201
    assert client.post("/api/auth/token/", {"username": "alice", "password": "wrong"}, format="json").status_code == 400
