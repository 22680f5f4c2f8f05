"""SEC-06: the whole API fuzzed from its own OpenAPI schema (schemathesis): no 5xx, every answer as documented."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.urls import Resolver404, resolve
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from accounts import services as account_services
from accounts.tests.factories import UserFactory
from kite.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
GENERATED: list[int] = []
# Schema-valid is not always acceptable: wrong passwords, duplicates and full quotas are refused by design.
SEMANTIC = [positive_data_acceptance]
FUZZ = hypothesis_settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)


# Schemathesis calls the WSGI application directly and reads the body as the application wrote it, so it asks for
# answers uncompressed, as some clients do (kite/tests/test_compression.py covers gzip).
PLAIN = {"Accept-Encoding": "identity"}


def routes(path: str) -> bool:
    try:
        resolve(path)
    except Resolver404:
        return False
    return True


@pytest.fixture(autouse=True)
def keep_test_transaction():
    """Plain WSGI calls end with close_old_connections, which would close the test's transaction;
    Django's own test client unhooks it the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def token(db, uploads) -> str:
    """A signed-in fuzzer's key; what it uploads, confirms and deletes reaches storage and the broker."""
    _, key = account_services.token_create(user=UserFactory(username="fuzzer"), name="fuzz")
    return key


@schema.parametrize()
@FUZZ
def test_api_as_a_signed_in_user(case, token):
    """SEC-06: generated requests from a signed-in user never cause a 5xx and always get a documented answer."""
    GENERATED.append(1)
    case.call_and_validate(headers={"Authorization": f"Token {token}", **PLAIN}, excluded_checks=SEMANTIC)


@schema.parametrize()
@FUZZ
@pytest.mark.django_db
def test_api_anonymously(case):
    """SEC-06, D-16: generated requests without credentials get 401 (or the public answer), never a 5xx."""
    GENERATED.append(1)
    response = case.call_and_validate(headers=PLAIN, excluded_checks=SEMANTIC)
    if case.operation.path != "/api/auth/token/":
        # A path that matches no route (a malformed id) is a 404 before anybody is asked who they are.
        assert response.status_code == (401 if routes(case.formatted_path) else 404)


@pytest.mark.services  # it counts what the fuzz tests above did, so it runs where they run
def test_report_generated_request_count():
    """Reports how many requests the fuzzing generated (runs after the fuzz tests in this module)."""
    print(f"API fuzzing: {len(GENERATED)} generated requests")
    assert len(GENERATED) > 0


# Strings hypothesis rarely draws but people and scanners send: other digits, NUL, huge numbers, bidi marks.
ODD_VALUES = ["²", "٣", "𝟙𝟚", "Ⅻ", "a\x00b", "\u202e1", "9" * 40, "-1", "1e3", " 1", "", "%", "'"]


def query_parameters():
    for path, operations in schema.raw_schema["paths"].items():
        for method, operation in operations.items():
            if method != "get":
                continue
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query":
                    yield path, parameter["name"]


def concrete(path: str) -> str:
    """`path` with its placeholders filled: ids that belong to nobody (so 404 is a fine answer)."""
    return path.replace("{id}", "7d1f8a52-8f6e-4a8e-9d53-2b8a1e0c4f11").replace("{pk}", "999999")


@pytest.mark.parametrize(("path", "name"), sorted(set(query_parameters())))
def test_odd_unicode_in_every_query_parameter_never_breaks_the_api(path, name, token):
    """SEC-06: every query parameter of every GET operation, given odd Unicode, answers 2xx or 4xx."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    for value in ODD_VALUES:
        answer = client.get(concrete(path), {name: value})
        assert answer.status_code < 500, (path, name, value, answer.status_code)
