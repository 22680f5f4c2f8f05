"""Notes on a document, by its owner (LIFE-02).

Each note's text is also kept on its document (`Document.notes_text`, all notes in order) because the search
vector is a generated column that can read only the document's own row: search finds a document by its notes.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet

from accounts.models import User
from activity.services import Action, record
from documents.models import Document, Note
from kite.errors import InvalidInput, NotFound

MAX_NOTE_CHARS = 10_000
# Notes are not charged to the quota: a document holds at most this many (a megabyte of text at most), which is
# more than any letter needs and keeps every note's rewrite of the document's searchable copy cheap.
MAX_NOTES_PER_DOCUMENT = 100
# The activity log names a note by its opening words.
LOGGED_CHARS = 80


def notes_of(*, user: User, document_id) -> QuerySet[Note]:
    """The notes of one of the person's documents, oldest first; 404 for anyone else's (or a trashed) document."""
    if not Document.objects.owned_by(user).filter(pk=document_id).exists():
        raise NotFound()
    return Note.objects.filter(document_id=document_id)


def _locked_document(user: User, document_id) -> Document:
    """The document, locked: notes of one document change one at a time, so its copied text stays whole."""
    document = Document.objects.owned_by(user).select_for_update().filter(pk=document_id).defer("text").first()
    if document is None:
        raise NotFound()
    return document


def _notes_text_refresh(document: Document) -> None:
    text = "\n\n".join(Note.objects.filter(document=document).values_list("text", flat=True))
    # Not `updated`: the queue sweeper reads it as a sign of a worker's life.
    Document.objects.filter(pk=document.pk).update(notes_text=text)


def note_add(*, user: User, document_id, text: str) -> Note:
    text = text.strip()
    if not text:
        raise InvalidInput("Write something in the note.", field="text")
    if len(text) > MAX_NOTE_CHARS:
        raise InvalidInput(f"A note may have at most {MAX_NOTE_CHARS} characters.", field="text")
    with transaction.atomic():
        document = _locked_document(user, document_id)
        if Note.objects.filter(document=document).count() >= MAX_NOTES_PER_DOCUMENT:
            raise InvalidInput(
                f"A document holds at most {MAX_NOTES_PER_DOCUMENT} notes: delete one, or add to one you have.",
                field="text",
            )
        note = Note.objects.create(document=document, text=text)
        _notes_text_refresh(document)
        record(user, Action.NOTE_ADDED, document=document, detail=text[:LOGGED_CHARS])
    return note


def note_delete(*, user: User, document_id, note_id) -> None:
    with transaction.atomic():
        document = _locked_document(user, document_id)
        note = Note.objects.filter(document=document, pk=note_id).first()
        if note is None:
            raise NotFound()
        note.delete()
        _notes_text_refresh(document)
        record(user, Action.NOTE_DELETED, document=document, detail=note.text[:LOGGED_CHARS])
