"""Renaming a document on its page (UI-03), with the checks the API's PATCH makes too."""

from conftest import api_client_for
from documents.models import Document
from documents.tests.factories import DocumentFactory
from topics.tests.factories import TopicFactory


def test_the_document_page_renames_the_document(client, alice):
    """UI-03: the page's small form saves the title, trimmed, and says so."""
    document = DocumentFactory(owner=alice, title="scan0001")
    client.force_login(alice)
    page = client.get(document.get_absolute_url()).content.decode()
    assert f'action="/documents/{document.pk}/title/"' in page and 'value="scan0001"' in page
    answer = client.post(f"/documents/{document.pk}/title/", {"title": "  Lease, Harbour Street  "}, follow=True)
    assert answer.redirect_chain == [(document.get_absolute_url(), 302)]
    assert "Title saved." in answer.content.decode()
    document.refresh_from_db()
    assert document.title == "Lease, Harbour Street"


def test_a_blank_or_overlong_title_is_refused_with_a_message(client, alice):
    """Bad input: a blank title and one over 255 characters answer 400 with the page and its error; the title
    stays."""
    document = DocumentFactory(owner=alice, title="Kept")
    client.force_login(alice)
    blank = client.post(f"/documents/{document.pk}/title/", {"title": "   "})
    assert blank.status_code == 400
    assert "Give the document a title." in blank.content.decode()
    assert '<details class="rename" open>' in blank.content.decode()
    long = client.post(f"/documents/{document.pk}/title/", {"title": "x" * 256})
    assert long.status_code == 400
    assert "Ensure this value has at most 255 characters (it has 256)." in long.content.decode()
    assert client.post(f"/documents/{document.pk}/title/", {}).status_code == 400
    assert Document.objects.get(pk=document.pk).title == "Kept"


def test_the_api_refuses_the_same_titles(alice):
    """The API's PATCH answers 400 to a blank or overlong title, and changes nothing."""
    document = DocumentFactory(owner=alice, title="Kept")
    api = api_client_for(alice)
    for title in ("", "   ", "x" * 256):
        assert api.patch(f"/api/documents/{document.pk}/", {"title": title}, format="json").status_code == 400
    assert api.patch(f"/api/documents/{document.pk}/", {"title": "New"}, format="json").json()["title"] == "New"


def test_it_checks_access(client, alice, bob):
    """SEC-04: another person's document answers 404 and keeps its title; GET is refused."""
    document = DocumentFactory(owner=alice, title="Mine")
    client.force_login(bob)
    assert client.post(f"/documents/{document.pk}/title/", {"title": "Taken"}).status_code == 404
    client.force_login(alice)
    assert client.get(f"/documents/{document.pk}/title/").status_code == 405
    assert Document.objects.get(pk=document.pk).title == "Mine"


def test_a_person_without_topics_is_told_so_once(client, alice):
    """UI-03: with no topics at all, the page says how to make some, not also that this document has none."""
    document = DocumentFactory(owner=alice)
    client.force_login(alice)
    page = client.get(f"/documents/{document.pk}/").content.decode()
    assert "You have no topics yet." in page
    assert 'id="document-topics" data-topics data-detailed hidden>' in page

    TopicFactory(owner=alice, name="Travel")
    page = client.get(f"/documents/{document.pk}/").content.decode()
    assert "You have no topics yet." not in page
    assert 'id="document-topics" data-topics data-detailed>' in page and "No topics yet." in page
