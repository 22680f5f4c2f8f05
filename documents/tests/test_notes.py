"""LIFE-02: notes on a document, by its owner; searchable; shown escaped on the document page."""

from __future__ import annotations

from activity.models import Event
from conftest import api_client_for
from documents import notes
from documents.models import Document, Note
from documents.notes import MAX_NOTE_CHARS
from documents.tests.factories import DocumentFactory


def notes_url(document) -> str:
    return f"/api/documents/{document.pk}/notes/"


def test_add_list_and_delete_notes_through_the_api(alice, alice_api):
    """LIFE-02: POST adds a note (201 with id, text, created), GET lists them oldest first, DELETE removes one;
    each change is in the person's activity."""
    document = DocumentFactory(owner=alice)
    first = alice_api.post(notes_url(document), {"text": "  Paid on 3 May  "}, format="json")
    assert first.status_code == 201
    assert set(first.json()) == {"id", "text", "created"} and first.json()["text"] == "Paid on 3 May"
    alice_api.post(notes_url(document), {"text": "Keep until 2031"}, format="json")
    listed = alice_api.get(notes_url(document))
    assert listed.status_code == 200
    assert [note["text"] for note in listed.json()] == ["Paid on 3 May", "Keep until 2031"]

    assert alice_api.delete(f"{notes_url(document)}{first.json()['id']}/").status_code == 204
    assert [note["text"] for note in alice_api.get(notes_url(document)).json()] == ["Keep until 2031"]
    assert alice_api.delete(f"{notes_url(document)}{first.json()['id']}/").status_code == 404
    actions = list(Event.objects.filter(owner=alice, document_id=document.pk).values_list("action", flat=True))
    assert sorted(actions) == ["note_added", "note_added", "note_deleted"]


def test_bad_notes_are_refused_and_change_nothing(alice, alice_api):
    """LIFE-02, SEC-06: a missing, blank, non-string or too long text answers 400 and adds nothing."""
    document = DocumentFactory(owner=alice)
    for body in ({}, {"text": "   "}, {"text": 42}, {"text": "x" * (MAX_NOTE_CHARS + 1)}, {"text": "a\x00b"}):
        answer = alice_api.post(notes_url(document), body, format="json")
        assert answer.status_code == 400, body
    assert alice_api.post(notes_url(document), {"text": "x" * MAX_NOTE_CHARS}, format="json").status_code == 201
    assert Note.objects.count() == 1


def test_notes_are_the_owners_alone(alice, bob_api):
    """LIFE-02, SEC-04: another person gets 404 listing, adding or deleting notes of alice's document, and a note
    id under another document answers 404 too."""
    document = DocumentFactory(owner=alice)
    note = Note.objects.create(document=document, text="Alice-private-note")
    assert bob_api.get(notes_url(document)).status_code == 404
    assert bob_api.post(notes_url(document), {"text": "hi"}, format="json").status_code == 404
    assert bob_api.delete(f"{notes_url(document)}{note.pk}/").status_code == 404
    other = DocumentFactory(owner=alice)
    assert api_client_for(alice).delete(f"{notes_url(other)}{note.pk}/").status_code == 404
    assert Note.objects.filter(pk=note.pk).exists() and Note.objects.count() == 1


def test_search_finds_a_document_by_its_notes(alice, alice_api):
    """LIFE-02: a word of a note finds its document in search, and no longer once the note is deleted."""
    document = DocumentFactory(owner=alice, title="Letter", text="about the garden")
    DocumentFactory(owner=alice, title="Other", text="nothing here")
    added = alice_api.post(notes_url(document), {"text": "Marmalade recipe inside"}, format="json").json()
    found = alice_api.get("/api/documents/?q=marmalade").json()["results"]
    assert [item["id"] for item in found] == [str(document.pk)]
    assert alice_api.get("/api/documents/?q=marmalade garden").json()["count"] == 1
    alice_api.delete(f"{notes_url(document)}{added['id']}/")
    assert alice_api.get("/api/documents/?q=marmalade").json()["count"] == 0
    assert Document.objects.get(pk=document.pk).notes_text == ""


def test_the_document_page_shows_notes_escaped_and_adds_and_deletes_them(client, alice, bob):
    """LIFE-02, UI-03: the page lists notes with their markup escaped, adds one from its form and deletes one with
    its button; bob posting to alice's notes gets 404."""
    document = DocumentFactory(owner=alice)
    client.force_login(alice)
    assert client.post(f"/documents/{document.pk}/notes/", {"text": "<script>alert(1)</script>"}).status_code == 302
    page = client.get(f"/documents/{document.pk}/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    assert 'id="notes-heading"' in page and "Add note" in page
    blank = client.post(f"/documents/{document.pk}/notes/", {"text": " "}, follow=True)
    assert "This field is required." in blank.content.decode() and Note.objects.count() == 1
    note = Note.objects.get()
    client.force_login(bob)
    assert client.post(f"/documents/{document.pk}/notes/{note.pk}/delete/").status_code == 404
    assert client.post(f"/documents/{document.pk}/notes/", {"text": "bob"}).status_code == 404
    client.force_login(alice)
    assert client.post(f"/documents/{document.pk}/notes/{note.pk}/delete/").status_code == 302
    assert not Note.objects.exists()


def test_a_document_holds_a_bounded_number_of_notes(alice, alice_api, monkeypatch):
    """Notes cost no quota, so their number per document is bounded: past it, 400 and nothing added."""
    monkeypatch.setattr(notes, "MAX_NOTES_PER_DOCUMENT", 3)
    document = DocumentFactory(owner=alice)
    url = f"/api/documents/{document.pk}/notes/"
    for number in range(3):
        assert alice_api.post(url, {"text": f"note {number}"}, format="json").status_code == 201
    answer = alice_api.post(url, {"text": "one too many"}, format="json")
    assert answer.status_code == 400 and "at most 3 notes" in answer.json()["detail"]
    assert Note.objects.filter(document=document).count() == 3
