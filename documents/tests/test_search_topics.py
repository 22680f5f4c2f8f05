"""Topic names are searchable (UI-01): a word that names a topic finds the documents filed under it."""

from __future__ import annotations

import pytest

from documents.tests.factories import DocumentFactory
from documents.trash import document_trash
from topics.models import DocumentTopic
from topics.tests.factories import TopicFactory

pytestmark = pytest.mark.django_db


def titles(client, q: str) -> set[str]:
    answer = client.get("/api/documents/", {"q": q})
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["count"] == len(body["results"])
    return {document["title"] for document in body["results"]}


def file(document, topic, source=DocumentTopic.Source.MANUAL):
    DocumentTopic.objects.create(document=document, topic=topic, source=source)


@pytest.fixture
def filed(alice, bob):
    travel = TopicFactory(owner=alice, name="Travel plans")
    insurance = TopicFactory(owner=None, name="Insurance")
    hotel = DocumentFactory(owner=alice, title="Booking", text="Two nights at the harbour hotel.")
    file(hotel, travel)
    DocumentFactory(owner=alice, title="Diary", text="We travelled by train.")
    guessed = DocumentFactory(owner=alice, title="Shopping list", text="Bread and milk.")
    file(guessed, travel, DocumentTopic.Source.SUGGESTED)
    policy = DocumentFactory(owner=alice, title="Policy 77", text="Cover for the house.")
    file(policy, insurance, DocumentTopic.Source.BUILTIN)
    other = DocumentFactory(owner=bob, title="Bob's trip", text="Nothing here.")
    file(other, TopicFactory(owner=bob, name="Travel"))
    file(DocumentFactory(owner=bob, title="Bob's policy", text="Nothing here."), insurance)
    return {"hotel": hotel, "policy": policy}


def test_a_topic_name_finds_the_documents_filed_under_it(alice_api, filed):
    """UI-01: "travel" finds what is filed under "Travel plans" and what says "travelled"; a suggestion is not
    filing, and another person's topic or documents never answer."""
    assert titles(alice_api, "travel") == {"Booking", "Diary"}
    assert titles(alice_api, "plans") == {"Booking"}
    assert titles(alice_api, "trav") == {"Diary"}  # the start of a word finds words, not topics
    assert titles(alice_api, "insurance") == {"Policy 77"}  # a system topic, shared with Bob's documents
    assert titles(alice_api, "insur") == set()  # the stemmer's "insur" is not a word of "Insurance"
    assert titles(alice_api, '"travel plans"') == {"Booking"}
    assert titles(alice_api, '"plans travel"') == set()


def test_topic_names_combine_with_the_words_of_the_text(alice_api, filed):
    """UI-01: every term must still match, each in the text or in a topic's name; `or` and `-word` too."""
    assert titles(alice_api, "travel hotel") == {"Booking"}
    assert titles(alice_api, "travel train") == {"Diary"}
    assert titles(alice_api, "travel -hotel") == {"Diary"}
    assert titles(alice_api, "nights -travel") == set()
    assert titles(alice_api, "house -insurance") == set()
    assert titles(alice_api, "milk -travel") == {"Shopping list"}  # a suggestion does not exclude either
    assert titles(alice_api, "insurance or train") == {"Policy 77", "Diary"}
    assert titles(alice_api, "-insurance") == {"Booking", "Diary", "Shopping list"}


def test_a_renamed_topic_is_found_by_its_new_name_and_a_trashed_document_not_at_all(alice, alice_api, filed):
    """UI-01, LIFE-01: the names are read when searching, so a rename counts at once; the trash stays out."""
    topic = filed["hotel"].assignments.get().topic
    topic.name = "Holidays"
    topic.save()
    assert titles(alice_api, "holiday") == {"Booking"}
    assert titles(alice_api, "plans") == set()
    document_trash(user=alice, document_id=filed["hotel"].pk)
    assert titles(alice_api, "holiday") == set()


def test_the_list_page_finds_topic_names_too(client, alice, filed):
    client.force_login(alice)
    page = client.get("/documents/", {"q": "insurance"})
    assert page.status_code == 200
    assert [document.title for document, _ in page.context["rows"]] == ["Policy 77"]


def test_a_topic_named_by_common_words_alone_is_found_by_its_name(alice, alice_api):
    """UI-01: a topic whose name is only words search ignores elsewhere ("it", "other", "the") is still found
    by its whole name; such a word still finds nothing else."""
    file(
        DocumentFactory(owner=alice, title="Laptop", text="A new laptop for work."),
        TopicFactory(owner=alice, name="IT"),
    )
    file(DocumentFactory(owner=alice, title="Misc", text="Odds and ends."), TopicFactory(owner=alice, name="Other"))
    file(DocumentFactory(owner=alice, title="Tickets", text="Concert."), TopicFactory(owner=alice, name="The Who"))
    TopicFactory(owner=alice, name="Notes from the field")
    assert titles(alice_api, "it") == {"Laptop"}
    assert titles(alice_api, "Other") == {"Misc"}
    assert titles(alice_api, '"the who"') == {"Tickets"}
    assert titles(alice_api, "laptop -it") == set()
    assert titles(alice_api, "the") == set()
    assert titles(alice_api, "oth") == set()  # a common word is never a prefix


def test_a_word_of_a_topic_name_written_with_dots_finds_it(alice, alice_api):
    """UI-01: as in a title or a filename, "Work.Projects" or "Tax.2024" is words, not one host or file name."""
    file(
        DocumentFactory(owner=alice, title="Plan", text="Milestones."), TopicFactory(owner=alice, name="Work.Projects")
    )
    file(DocumentFactory(owner=alice, title="Return", text="Figures."), TopicFactory(owner=None, name="Tax.2024"))
    assert titles(alice_api, "projects") == {"Plan"}
    assert titles(alice_api, "work projects") == {"Plan"}
    assert titles(alice_api, "tax") == {"Return"}
    assert titles(alice_api, "work.projects") == {"Plan"}


def test_words_search_ignores_beside_a_topic_name_are_ignored_as_beside_any_word(alice, alice_api, filed):
    """UI-01: "the insurance" finds what "insurance" finds, as "the hotel" finds what "hotel" finds: a word search
    ignores asks nothing, next to a topic's name as next to any other word, and excluding one excludes nothing."""
    for q in ("the insurance", "my insurance", "insurance the", "_ insurance", "insurance -the"):
        assert titles(alice_api, q) == {"Policy 77"}, q
    assert titles(alice_api, "the travel -insurance") == {"Booking", "Diary"}
    file(DocumentFactory(owner=alice, title="Laptop", text="A new laptop."), TopicFactory(owner=alice, name="IT"))
    assert titles(alice_api, "insurance -it") == {"Policy 77"}
    assert titles(alice_api, "-it") == {"Booking", "Diary", "Shopping list", "Policy 77"}


def test_a_topic_is_named_by_the_singular_or_plural_of_its_words_and_by_nothing_shorter(alice, alice_api):
    """UI-01: "expense" names "Expenses" and "horses" names "Horse", whatever the English plural ending; a word that
    only begins like a name ("count" and "County", "and" and "Andy") names nothing."""
    named = {}
    names = ("Expenses", "Movies", "Purchases", "Horse", "Companies", "Taxes", "County", "Andy", "Party", "Buses")
    for number, name in enumerate(names):
        document = DocumentFactory(owner=alice, title=f"Paper {number}", text="nothing to see")
        file(document, TopicFactory(owner=alice, name=name))
        named[name] = document.title
    for q, name in (
        ("expense", "Expenses"),
        ("movie", "Movies"),
        ("purchase", "Purchases"),
        ("horses", "Horse"),
        ("company", "Companies"),
        ("tax", "Taxes"),
        ("counties", "County"),
        ("parties", "Party"),
        ("bus", "Buses"),
    ):
        assert titles(alice_api, q) == {named[name]}, q
    for q in ("count", "and", "part", "parts", "movi", "purchas", "hors"):
        assert titles(alice_api, q) == set(), q


def test_a_stop_word_or_the_start_of_a_word_names_no_plural_topic(alice, alice_api):
    """UI-01: "not" is not the singular of "Notes", nor "tim" of "Times", nor "us" of "Uses": they name nothing, and
    "not paid" finds the paid bills as it would with no topics at all."""
    bills = {DocumentFactory(owner=alice, title=f"Bill {i}", text="electricity bill paid").title for i in range(3)}
    for number, name in enumerate(("Notes", "Times", "Jones", "US taxes")):
        document = DocumentFactory(owner=alice, title=f"Paper {number}", text="nothing to see")
        file(document, TopicFactory(owner=alice, name=name))
    assert titles(alice_api, "not paid") == bills
    assert titles(alice_api, "bill not paid") == bills
    for q in ("not", "tim", "jon", "uses"):
        assert titles(alice_api, q) == set(), q
    assert titles(alice_api, "note") == {"Paper 0"}
    assert titles(alice_api, "time") == {"Paper 1"}
    assert titles(alice_api, "tax") == {"Paper 3"}


def test_an_excluded_word_beside_a_topic_leaves_out_that_word_only(alice, alice_api):
    """UI-01: `-letter` leaves out documents with the word "letter", not those with "letterhead", also when a topic
    name is the only other term."""
    insurance = TopicFactory(owner=alice, name="Insurance")
    file(DocumentFactory(owner=alice, title="Policy", text="letterhead of the insurer"), insurance)
    file(DocumentFactory(owner=alice, title="Claim", text="career change"), insurance)
    file(DocumentFactory(owner=alice, title="Cover", text="a letter about cover"), insurance)
    assert titles(alice_api, "insurance -letter") == {"Policy", "Claim"}
    assert titles(alice_api, "insurance -car") == {"Policy", "Claim", "Cover"}
    assert titles(alice_api, 'insurance -"letter about"') == {"Policy", "Claim"}


def test_letters_without_a_separate_accent_are_unaccented_in_topic_names(alice, alice_api):
    """UI-01: "soknad" names "Søknad" and "strasse" names "Straße", as PostgreSQL's unaccent reads them in text."""
    for number, name in enumerate(("Søknad", "Straße", "İstanbul", "Łódź", "Ħamrun")):
        document = DocumentFactory(owner=alice, title=f"Paper {number}", text="nothing to see")
        file(document, TopicFactory(owner=alice, name=name))
    assert titles(alice_api, "soknad") == {"Paper 0"}
    assert titles(alice_api, "strasse") == {"Paper 1"}
    assert titles(alice_api, "istanbul") == {"Paper 2"}
    assert titles(alice_api, "lodz") == {"Paper 3"}
    assert titles(alice_api, "hamrun") == {"Paper 4"}
    assert titles(alice_api, "so\u0308knad") == {"Paper 0"}  # the accent typed as a mark of its own
