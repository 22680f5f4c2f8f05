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


def test_one_address_guessing_across_usernames_is_stopped(alice, settings):
    """ACC-04: failures spread over many usernames, each under its own limit, still lock out the address that
    makes them, for every account and on the API too; another address logs in as usual."""
    settings.KITE_ADDRESS_FAILURE_LIMIT = 6
    guesser = Client(REMOTE_ADDR="198.51.100.30")
    for number in range(settings.KITE_ADDRESS_FAILURE_LIMIT):
        guesser.post("/accounts/login/", {"username": f"someone{number}", "password": "wrong"})
    refused = guesser.post("/accounts/login/", {"username": "alice", "password": "correct horse battery"})
    assert refused.status_code == 429 and "_auth_user_id" not in guesser.session
    token = APIClient(REMOTE_ADDR="198.51.100.30").post(
        "/api/auth/token/", {"username": "alice", "password": "correct horse battery"}, format="json"
    )
    assert token.status_code == 429
    elsewhere = Client(REMOTE_ADDR="203.0.113.40")
    assert (
        elsewhere.post("/accounts/login/", {"username": "alice", "password": "correct horse battery"}).status_code
        == 302
    )


def test_one_address_can_make_only_so_many_accounts_an_hour(db, settings):
    """ACC-04: the sign-up page makes at most KITE_SIGNUPS_PER_ADDRESS accounts an hour from one address."""
    from accounts.models import User

    settings.KITE_SIGNUPS_PER_ADDRESS = 2

    def sign_up(client: Client, username: str):
        return client.post(
            "/accounts/signup/",
            {"username": username, "password1": "a long passphrase 42", "password2": "a long passphrase 42"},
        )

    for username in ["first", "second"]:
        assert sign_up(Client(REMOTE_ADDR="198.51.100.50"), username).status_code == 302
    refused = sign_up(Client(REMOTE_ADDR="198.51.100.50"), "third")
    assert refused.status_code == 429 and b"Too many accounts" in refused.content
    assert not User.objects.filter(username="third").exists()
    assert sign_up(Client(REMOTE_ADDR="203.0.113.51"), "third").status_code == 302


def test_old_per_address_counts_are_forgotten(db):
    """ACC-04: the scheduler drops counts from windows a day gone; current ones stay."""
    from datetime import timedelta

    from django.utils import timezone

    from accounts import throttle
    from accounts.models import AddressAttempt

    AddressAttempt.objects.create(action="signup", address="198.51.100.1", window=timezone.now() - timedelta(days=2))
    AddressAttempt.objects.count_one(action="signup", address="198.51.100.1", window_seconds=3600)
    assert throttle.attempts_forget_old() == 1
    assert AddressAttempt.objects.count() == 1
