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


PROXY = "10.0.0.1"


def login_via_proxy(client: Client, client_address: str, password: str, forwarded: str | None = None) -> int:
    """A log-in as a reverse proxy passes it on: from the proxy's address, the client's appended."""
    forwarded = forwarded if forwarded is not None else client_address
    answer = client.post(
        "/accounts/login/",
        {"username": "alice", "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded,
    )
    return answer.status_code


def test_behind_a_proxy_one_address_locking_itself_out_locks_nobody_else(alice, settings):
    """ACC-04: with KITE_PROXY_COUNT set, failures count per client address, not per proxy: a stranger's
    wrong passwords do not lock alice out from her own address."""
    settings.KITE_PROXY_COUNT = 1
    stranger, home = Client(), Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login_via_proxy(stranger, "198.51.100.9", "wrong")
    assert login_via_proxy(stranger, "198.51.100.9", "correct horse battery") == 429
    assert login_via_proxy(home, "203.0.113.7", "correct horse battery") == 302


def test_a_client_cannot_pick_its_address_by_sending_x_forwarded_for(alice, settings):
    """ACC-04: behind one proxy, only the address the proxy appended counts; without a proxy the header is
    ignored altogether. Either way a locked-out client cannot get round it by inventing addresses."""
    settings.KITE_PROXY_COUNT = 1
    attacker = Client()
    for number in range(settings.AXES_FAILURE_LIMIT):
        login_via_proxy(attacker, "198.51.100.9", "wrong", forwarded=f"192.0.2.{number}, 198.51.100.9")
    assert login_via_proxy(attacker, "198.51.100.9", "correct horse battery", "192.0.2.99, 198.51.100.9") == 429

    settings.KITE_PROXY_COUNT = 0
    direct = Client()
    for number in range(settings.AXES_FAILURE_LIMIT):
        direct.post(
            "/accounts/login/",
            {"username": "bob", "password": "wrong"},
            REMOTE_ADDR="198.51.100.20",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{number}",
        )
    locked = direct.post(
        "/accounts/login/",
        {"username": "bob", "password": "wrong"},
        REMOTE_ADDR="198.51.100.20",
        HTTP_X_FORWARDED_FOR="192.0.2.200",
    )
    assert locked.status_code == 429
