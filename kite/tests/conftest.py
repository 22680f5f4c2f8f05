"""Fixtures for the browser tests: logging in through the page, sample files, and documents Kite has filed."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from accounts.tests.factories import PASSWORD
from conftest import upload_document, wait_for
from devtools.testing.samples import make_docx, make_pdf
from documents.models import Document
from topics.classification import builtin
from topics.classification.models import ClassifierModel
from topics.models import Topic
from topics.tests.factories import TopicFactory

# Topic descriptions and texts of the samples.
TOPICS = {
    "Invoices": "Bills and invoices: amount due, payment, consulting, electricity",
    "Housing": "Rent, tenancy agreement, apartment, landlord, deposit",
    "Travel": "Trips, flights, hotels, itinerary, train tickets",
}
SAMPLES = {
    "invoice.pdf": (
        "application/pdf",
        make_pdf(
            "Northwind Consulting invoice 2031. Consulting services: 12 hours. Amount due 1140 EUR, "
            "payment by bank transfer. The marzipan workshop is billed separately."
        ),
    ),
    "tenancy.docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        make_docx(
            [
                "Tenancy agreement for the apartment at 4 Harbour Street.",
                "The landlord lets the apartment to the tenant. Monthly rent 950 EUR, deposit 2850 EUR.",
            ]
        ),
    ),
    "lisbon.txt": (
        "text/plain",
        b"Trip itinerary for Lisbon: flights out on Thursday, back on Monday. "
        b"Hotel Casa do Rio for three nights; train tickets to Sintra.\n",
    ),
}


def sign_up(page, username: str) -> None:
    """Create an account through the landing page's sign-up form and land on the empty documents list."""
    page.goto(page.base_url + "/")
    page.get_by_role("link", name="Sign up").first.click()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill("a long passphrase 42")
    page.get_by_label("Password confirmation").fill("a long passphrase 42")
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url(re.compile(r"/documents/$"))


@pytest.fixture
def log_in(page):
    """Log a persona in through the login form, as a person would."""

    def log_in(user) -> None:
        page.goto(page.base_url + "/accounts/login/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(re.compile(r"/documents/$"))

    return log_in


@pytest.fixture
def sample_files(tmp_path):
    """The three sample documents as files on disk, for the file picker."""
    paths = {}
    for name, (_, data) in SAMPLES.items():
        paths[name] = tmp_path / name
        paths[name].write_bytes(data)
    return paths


def make_topics(user) -> dict[str, Topic]:
    return {name: TopicFactory(owner=user, name=name, description=text) for name, text in TOPICS.items()}


# Documents like the samples, as a person who has used Kite for a while has filed by hand.
FILED_BEFORE = {
    "Invoices": "Invoice {n} from {place} Services. Amount due {amount} EUR, payment by bank transfer within 30 days.",
    "Housing": "Tenancy agreement for the apartment at {n} {place} Street. Monthly rent {amount} EUR, deposit to the "
    "landlord.",
    "Travel": "Trip to {place}: flights out on day {n}, hotel booked for three nights, train tickets {amount} EUR.",
}


def teach(user, topics: dict[str, Topic]) -> None:
    """Give `user` the built-in model six documents per topic filed by hand would teach (D-15): without examples
    the built-in classifier files nothing on names and descriptions alone. The documents themselves are not kept:
    the pages under test show only the samples."""
    places = ["Lisbon", "Oslo", "Rome", "Porto", "Vienna", "Ghent"]
    examples = [
        (text.format(n=10 + index, place=place, amount=100 + 37 * index), topics[name].pk)
        for name, text in FILED_BEFORE.items()
        for index, place in enumerate(places)
    ]
    infos = [builtin.TopicInfo(topic.pk, topic.name, topic.description) for topic in topics.values()]
    model = builtin.train(examples, infos)
    assert model is not None
    ClassifierModel.objects.update_or_create(user=user, defaults={"data": model, "examples": len(examples)})


@dataclass
class Filed:
    topics: dict[str, Topic]
    documents: dict[str, Document]


@pytest.fixture
def filed(alice, alice_api, worker) -> Filed:
    """alice's topics and the three samples, uploaded through the API and classified by the real worker."""
    topics = make_topics(alice)
    teach(alice, topics)
    ids = {
        name: upload_document(alice_api, data, filename=name, content_type=content_type)["id"]
        for name, (content_type, data) in SAMPLES.items()
    }
    wait_for(lambda: Document.objects.filter(pk__in=ids.values(), state=Document.State.CLASSIFIED).count() == 3)
    return Filed(topics, {name: Document.objects.get(pk=pk) for name, pk in ids.items()})
