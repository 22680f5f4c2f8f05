"""factory-boy factories for documents."""

from __future__ import annotations

import uuid

import factory

from accounts.tests.factories import UserFactory
from documents.models import Document
from documents.services import document_key


class DocumentFactory(factory.django.DjangoModelFactory):
    """A stored document whose text the worker has already extracted, at its key in storage (no object is put
    there). `state=Document.State.UPLOADING` makes an upload that was never confirmed."""

    class Meta:
        model = Document

    id = factory.LazyFunction(uuid.uuid4)
    owner = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Document {n}")
    filename = factory.LazyAttribute(lambda document: f"{document.title}.txt")
    content_type = "text/plain"
    text = ""
    size_bytes = factory.LazyAttribute(lambda document: len(document.text.encode()))
    key = factory.LazyAttribute(lambda document: document_key(document.owner, document.id))
    state = Document.State.CLASSIFIED
