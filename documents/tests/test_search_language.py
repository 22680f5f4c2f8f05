"""Search stems words in the instance's language (KITE_SEARCH_LANGUAGE), applied by `migrate`."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from documents.search.language import current_dictionary, search_language_apply
from documents.tests.factories import DocumentFactory
from documents.tests.test_search import titles

pytestmark = pytest.mark.django_db


def test_migrate_makes_search_follow_the_setting_and_indexes_every_document_again(settings, alice, alice_api):
    """A French instance finds "cheval" in "Les chevaux"; the documents stored before the change are found too,
    since their vectors are computed again, and French stop words are left out as English ones were."""
    DocumentFactory(owner=alice, title="Ferme", text="Les chevaux du village.")
    DocumentFactory(owner=alice, title="Farm", text="The horses were running.")
    assert current_dictionary() == "english_stem"
    assert titles(alice_api, "cheval") == []
    assert titles(alice_api, "run") == ["Farm"]
    assert titles(alice_api, "du") == ["Ferme"]

    settings.KITE_SEARCH_LANGUAGE = "french"
    call_command("migrate", verbosity=0)
    assert current_dictionary() == "french_stem"
    assert titles(alice_api, "cheval") == ["Ferme"]
    assert titles(alice_api, "du") == []  # a French stop word now
    assert titles(alice_api, "running") == ["Farm"]  # no longer stemmed as English, still found as written
    DocumentFactory(owner=alice, title="Écurie", text="Un cheval blanc.")
    assert set(titles(alice_api, "chevaux")) == {"Ferme", "Écurie"}
    result = alice_api.get("/api/documents/", {"q": "chevaux"}).json()["results"]
    assert "<mark>chevaux</mark>" in next(r["snippet"] for r in result if r["title"] == "Ferme")

    assert search_language_apply("french") is False  # nothing to do twice
    assert search_language_apply("simple") is True
    assert titles(alice_api, "cheval") == ["Écurie"]  # words as written, accents still ignored
    assert titles(alice_api, "ecurie") == ["Écurie"]


def test_an_unknown_language_is_refused_before_anything_changes(settings):
    settings.KITE_SEARCH_LANGUAGE = "klingon"
    with pytest.raises(SystemCheckError, match="KITE_SEARCH_LANGUAGE"):
        call_command("check")
    with pytest.raises(ValueError, match="KITE_SEARCH_LANGUAGE"):
        search_language_apply()
    assert current_dictionary() == "english_stem"
