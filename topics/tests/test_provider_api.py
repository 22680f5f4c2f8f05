import pytest

from kite import crypto
from topics.classification.models import ProviderSettings


def test_default_is_builtin_without_settings(alice_api):
    """D-15: with no user settings and no server default, the built-in classifier is effective."""
    body = alice_api.get("/api/provider/").json()
    assert body == {
        "kind": None,
        "base_url": "",
        "model": "",
        "has_api_key": False,
        "effective": {"kind": "builtin", "model": "", "source": "builtin"},
    }


def test_server_default_is_effective_without_user_settings(alice_api, settings):
    """D-15: the server default applies when the user has no settings of their own."""
    settings.KITE_DEFAULT_PROVIDER_KIND = "openai"
    settings.KITE_DEFAULT_PROVIDER_MODEL = "server-model"
    assert alice_api.get("/api/provider/").json()["effective"] == {
        "kind": "openai",
        "model": "server-model",
        "source": "default",
    }


def test_put_stores_the_key_encrypted_and_never_returns_it(alice, alice_api, settings):
    """DOC-03: the key is encrypted at rest and write-only; the answer only says a key exists."""
    settings.KITE_PROVIDER_ALLOW_PRIVATE_URLS = True
    answer = alice_api.put(
        "/api/provider/",
        {"kind": "openai", "base_url": "http://127.0.0.1:11434/v1", "model": "llama3", "api_key": "sk-very-secret"},
        format="json",
    )
    assert answer.status_code == 200
    body = answer.json()
    assert "sk-very-secret" not in answer.content.decode()
    assert body["has_api_key"] is True and body["effective"]["source"] == "user"
    stored = ProviderSettings.objects.get(user=alice)
    assert "sk-very-secret" not in stored.api_key_encrypted
    assert crypto.decrypt(stored.api_key_encrypted) == "sk-very-secret"
    # Omitting the key keeps it; an empty key removes it.
    alice_api.put(
        "/api/provider/", {"kind": "openai", "base_url": "http://127.0.0.1:11434/v1", "model": "m2"}, format="json"
    )
    assert ProviderSettings.objects.get(user=alice).has_api_key
    alice_api.put("/api/provider/", {"kind": "openai", "model": "m2", "api_key": ""}, format="json")
    assert not ProviderSettings.objects.get(user=alice).has_api_key


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/v1",
        "http://10.0.0.5/v1",
        "http://169.254.169.254/",
        "http://localhost:11434",
        "file:///etc/passwd",
        "http://[::1]/",
    ],
)
def test_private_base_urls_are_refused_unless_allowed(alice, alice_api, url):
    """DOC-08: private, loopback and link-local base URLs answer 400 and store nothing."""
    answer = alice_api.put("/api/provider/", {"kind": "openai", "base_url": url, "model": "m"}, format="json")
    assert answer.status_code == 400
    assert not ProviderSettings.objects.filter(user=alice).exists()


@pytest.mark.parametrize(
    "body", [{}, {"kind": "cohere"}, {"kind": "openai"}, {"kind": "anthropic", "model": 3}, {"kind": ["openai"]}]
)
def test_bad_provider_input_gets_400(alice, alice_api, body):
    """SEC-06: unknown kinds, a missing model and wrong types answer 400 and change nothing."""
    assert alice_api.put("/api/provider/", body, format="json").status_code == 400
    assert not ProviderSettings.objects.filter(user=alice).exists()


def test_delete_goes_back_to_the_default(alice, alice_api):
    """DOC-03: DELETE removes the user's settings."""
    alice_api.put("/api/provider/", {"kind": "builtin"}, format="json")
    assert alice_api.get("/api/provider/").json()["kind"] == "builtin"
    assert alice_api.delete("/api/provider/").status_code == 204
    assert not ProviderSettings.objects.filter(user=alice).exists()


def test_settings_are_per_user(alice_api, bob_api, settings):
    """DOC-05: one user's provider is never another's."""
    settings.KITE_PROVIDER_ALLOW_PRIVATE_URLS = True
    alice_api.put("/api/provider/", {"kind": "anthropic", "model": "claude", "api_key": "k"}, format="json")
    assert bob_api.get("/api/provider/").json()["effective"]["source"] == "builtin"


def test_keys_survive_key_rotation(alice, alice_api, settings):
    """DOC-03: with MultiFernet a new key is added first and old secrets still decrypt."""
    from cryptography.fernet import Fernet

    old = Fernet.generate_key().decode()
    settings.KITE_ENCRYPTION_KEYS = [old]
    alice_api.put("/api/provider/", {"kind": "anthropic", "model": "claude", "api_key": "secret-1"}, format="json")
    settings.KITE_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), old]
    assert crypto.decrypt(ProviderSettings.objects.get(user=alice).api_key_encrypted) == "secret-1"
