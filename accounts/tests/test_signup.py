import pytest
from django.conf import settings

from accounts.models import User
from conftest import change_password_on_page
from quotas.models import Quota


@pytest.mark.django_db
def test_signup_creates_user_and_quota_and_logs_in(client):
    """ACC-01, ACC-02: signing up creates the user with a default quota in one go and logs them in."""
    answer = client.post(
        "/accounts/signup/",
        {
            "username": "carol",
            "email": "carol@example.com",
            "password1": "a long passphrase 42",
            "password2": "a long passphrase 42",
        },
    )
    assert answer.status_code == 302
    user = User.objects.get(username="carol")
    assert Quota.objects.get(user=user).limit_bytes == settings.KITE_DEFAULT_QUOTA_BYTES
    assert Quota.objects.get(user=user).used_bytes == 0
    assert client.get("/documents/").status_code == 200


@pytest.mark.django_db
def test_signup_with_mismatched_passwords_creates_nothing(client):
    """ACC-01: a bad form answers with its errors and creates no user."""
    answer = client.post(
        "/accounts/signup/", {"username": "carol", "password1": "a long passphrase 42", "password2": "different 42"}
    )
    assert answer.status_code == 200
    assert not User.objects.filter(username="carol").exists()


def test_logout_requires_post(client, alice):
    """ACC-01: log out is a POST; a GET does not log anybody out."""
    client.force_login(alice)
    assert client.get("/accounts/logout/").status_code == 405
    assert client.get("/documents/").status_code == 200
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/documents/").status_code == 302


def test_password_change_and_reset_pages(client, alice, mailoutbox):
    """ACC-01: a person can change their password, and ask for a reset link by e-mail."""
    client.force_login(alice)
    answer = change_password_on_page(client, "another fine passphrase")
    assert answer.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password("another fine passphrase")
    client.post("/accounts/logout/")
    assert client.post("/accounts/password_reset/", {"email": "alice@example.com"}).status_code == 302
    assert len(mailoutbox) == 1 and "/accounts/reset/" in mailoutbox[0].body


def test_staff_see_a_link_to_the_admin_and_nobody_else_does(client, alice, staff):
    """SC4: staff reach the admin from every page's menu; other people are not shown the way there."""
    client.force_login(staff)
    assert b'href="/admin/">Admin</a>' in client.get("/documents/").content
    client.force_login(alice)
    assert b'href="/admin/"' not in client.get("/documents/").content
