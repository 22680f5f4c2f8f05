"""SEC-05: production settings pass Django's deployment checks; pages carry a strict CSP."""

import os
import secrets
import subprocess
import sys

from django.conf import settings
from django.test import Client

from accounts.tests.factories import PASSWORD


def production_env(**overrides) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DJANGO_SETTINGS_MODULE", "DEBUG", "SECRET_KEY", "KITE_SECURE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="kite.settings",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        KITE_SECURE="true",
        ALLOWED_HOSTS="kite.example.com",
    )
    env.update(overrides)
    return env


def check_deploy(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_check_deploy_without_warnings():
    """SEC-05: with DEBUG off and KITE_SECURE on, `manage.py check --deploy` reports no issue at all."""
    result = check_deploy(production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_catches_an_insecure_setting():
    """SEC-05: the check above is real: without HTTPS settings it fails."""
    result = check_deploy(production_env(KITE_SECURE="false"))
    assert result.returncode != 0
    assert "SESSION_COOKIE_SECURE" in result.stdout + result.stderr


def test_pages_carry_a_csp_without_inline_scripts(client: Client):
    """SEC-05: every page forbids inline scripts and allows storage only where direct uploads and previews need it."""
    policy = client.get("/").headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert "unsafe-inline" not in directives["script-src"] and "unsafe-eval" not in policy
    storage = settings.S3_PUBLIC_ENDPOINT_URL.rstrip("/")
    assert storage in directives["connect-src"] and storage in directives["form-action"]
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"


def test_session_and_csrf_cookies_are_httponly_and_samesite(client: Client, alice):
    """SEC-05: the session cookie is HttpOnly and SameSite; both cookies become Secure under KITE_SECURE."""
    client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings as s; "
            "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS)",
        ],
        cwd=settings.BASE_DIR,
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.split() == ["True", "True", "31536000"]
