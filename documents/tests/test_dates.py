"""A document's own date: found in its text by the worker, set or cleared by its owner, filtered and sorted on."""

from datetime import date

import pytest

from conftest import upload_document
from documents import processing
from documents.dates import find_date
from documents.models import Document
from documents.tests.factories import DocumentFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 12, 2)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Northwind Consulting\nInvoice 2031\nDate: 3 November 2026\nAmount due 1140 EUR", date(2026, 11, 3)),
        ("Berlin, den 3. November 2026\nSehr geehrte Damen und Herren,", date(2026, 11, 3)),
        ("Paris, le 1er mars 2025\nMadame, Monsieur,", date(2025, 3, 1)),
        ("Rechnung Nr. 4711 vom 03.11.26, zahlbar sofort", date(2026, 11, 3)),
        ("Order 12-34-5678 placed 2026-10-05 and shipped the next day", date(2026, 10, 5)),
        ("Receipt\nNovember 3rd, 2026\nTotal 12.40", date(2026, 11, 3)),
        ("Payslip for 14/02/2024", date(2024, 2, 14)),
        # Not dates: a phone number, a version, a reference; an impossible day; a year OCR misread.
        ("Call 01.02.03.04.05 or write to us", None),
        ("Release 1.2.3 of the manual, reference 2024", None),
        ("Due 31.02.2026", None),
        ("Copyright 14 March 1066", None),
        ("Nothing here is a date at all.", None),
    ],
)
def test_the_first_plausible_date_near_the_top_is_found(text, expected, settings):
    settings.KITE_DATE_ORDER = "DMY"
    assert find_date(text, today=TODAY) == expected


def test_numeric_dates_read_in_the_configured_order(settings):
    settings.KITE_DATE_ORDER = "MDY"
    assert find_date("Statement date 03/11/2026", today=TODAY) == date(2026, 3, 11)
    settings.KITE_DATE_ORDER = "DMY"
    assert find_date("Statement date 03/11/2026", today=TODAY) == date(2026, 11, 3)


def test_a_date_deep_in_a_long_text_is_not_the_documents_date():
    """Letters date themselves at the top; a date on page nine of a contract is one of its terms."""
    text = "Tenancy agreement between the parties named below. " * 100 + "The lease ends on 30 June 2031."
    assert find_date(text, today=TODAY) is None


def test_the_worker_dates_a_document_from_its_text_and_keeps_its_owners_date(alice_api):
    text = b"Northwind Consulting\nDate: 3 November 2026\nInvoice for consulting services, amount due 1140 EUR.\n"
    document = upload_document(alice_api, text, filename="invoice.txt")
    processing.document_process(document_id=document["id"])
    answer = alice_api.get(f"/api/documents/{document['id']}/").json()
    assert answer["date"] == "2026-11-03"

    assert (
        alice_api.patch(f"/api/documents/{document['id']}/", {"date": "2026-10-31"}, format="json").status_code == 200
    )
    assert alice_api.post(f"/api/documents/{document['id']}/classify/").status_code == 202
    processing.document_process(document_id=document["id"])
    stored = Document.objects.get(pk=document["id"])
    assert (stored.date, stored.date_source) == (date(2026, 10, 31), "manual")

    # Cleared by its owner: stays cleared when read again.
    assert alice_api.patch(f"/api/documents/{document['id']}/", {"date": None}, format="json").json()["date"] is None
    assert alice_api.post(f"/api/documents/{document['id']}/classify/").status_code == 202
    processing.document_process(document_id=document["id"])
    assert Document.objects.get(pk=document["id"]).date is None


@pytest.mark.parametrize("bad", ["2026-13-01", "yesterday", 20261103, ""])
def test_a_bad_date_is_refused_and_changes_nothing(alice, alice_api, bad):
    document = DocumentFactory(owner=alice, date=date(2026, 1, 5), date_source="text")
    answer = alice_api.patch(f"/api/documents/{document.pk}/", {"date": bad}, format="json")
    assert answer.status_code == 400 and "date" in answer.json()["detail"]
    document.refresh_from_db()
    assert document.date == date(2026, 1, 5)


def test_lists_filter_and_sort_by_date_on_the_page_and_in_the_api(client, alice, alice_api):
    DocumentFactory(owner=alice, title="spring", date=date(2026, 4, 1))
    DocumentFactory(owner=alice, title="undated", date=None)
    DocumentFactory(owner=alice, title="winter", date=date(2026, 1, 15))
    DocumentFactory(owner=alice, title="summer", date=date(2026, 7, 20))
    client.force_login(alice)
    for params, expected in [
        ({"ordering": "-date"}, ["summer", "spring", "winter", "undated"]),
        ({"ordering": "date"}, ["winter", "spring", "summer", "undated"]),
        ({"date_after": "2026-02-01", "ordering": "date"}, ["spring", "summer"]),
        ({"date_after": "2026-01-01", "date_before": "2026-04-01", "ordering": "date"}, ["winter", "spring"]),
    ]:
        page = [document.title for document, _ in client.get("/documents/", params).context["rows"]]
        api = [document["title"] for document in alice_api.get("/api/documents/", params).json()["results"]]
        assert page == api == expected, params
    assert alice_api.get("/api/documents/", {"date_after": "soon"}).status_code == 400


def test_the_owner_sets_and_clears_the_date_on_the_page(client, alice, bob):
    document = DocumentFactory(owner=alice, state="classified")
    client.force_login(alice)
    answer = client.post(f"/documents/{document.pk}/date/", {"date": "2026-11-03"}, follow=True)
    assert "Date saved." in answer.content.decode()
    assert "3 Nov 2026" in answer.content.decode() and "set by you" in answer.content.decode()
    assert client.post(f"/documents/{document.pk}/date/", {"date": "not a date"}, follow=True).status_code == 200
    document.refresh_from_db()
    assert document.date == date(2026, 11, 3)
    client.post(f"/documents/{document.pk}/date/", {"date": ""})
    document.refresh_from_db()
    assert (document.date, document.date_source) == (None, "manual")

    client.force_login(bob)
    assert client.post(f"/documents/{document.pk}/date/", {"date": "2020-01-01"}).status_code == 404
    document.refresh_from_db()
    assert document.date is None


def test_the_document_page_names_the_type_as_people_do(client, alice):
    document = DocumentFactory(
        owner=alice,
        state="classified",
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    client.force_login(alice)
    page = client.get(f"/documents/{document.pk}/").content.decode()
    assert "Word document" in page and "wordprocessingml" not in page
