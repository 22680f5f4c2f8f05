"""LIFE-05: export everything through the API with a real worker and real storage, download the zip, and import it
into a second person's account with `manage.py import_export`: the round trip is the test."""

from __future__ import annotations

import io
import json
import os
import zipfile
from datetime import date

import pytest
import requests
from django.core.management import call_command
from django.utils import timezone

from activity.models import Event
from conftest import upload_document, wait_for
from documents.models import Document, Note
from quotas.models import Quota
from topics.models import DocumentTopic, Topic
from topics.tests.factories import TopicFactory

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

MIB = 1024 * 1024


def library(alice, alice_api, unique_bytes) -> dict[str, bytes]:
    """alice's documents as a person who used Kite a while has them: a text she filed by hand, a PDF-like and a
    photo-like file filed by a classifier, notes, a system topic, one document in the trash, one upload never
    confirmed. Returns the bytes of each document the export must hold, by id."""
    taxes = TopicFactory(owner=alice, name="Taxes", description="Tax returns and assessments")
    TopicFactory(owner=alice, name="Unused", description="A topic no document has")
    receipts = TopicFactory(owner=None, name="Receipts")
    files = {
        "assessment.txt": ("text/plain", b"Tax assessment 2025: refund of 312 EUR.\n" * 50),
        "scan.pdf": ("application/pdf", b"%PDF-1.7\n" + os.urandom(3 * MIB)),
        "photo of a receipt.jpg": ("image/jpeg", b"\xff\xd8\xff\xe0" + os.urandom(MIB + 17)),
    }
    kept: dict[str, bytes] = {}
    for filename, (content_type, data) in files.items():
        document = upload_document(alice_api, data, filename=filename, content_type=content_type, classify=False)
        kept[document["id"]] = data
    text_id, pdf_id, photo_id = kept
    Document.objects.filter(pk=text_id).update(text="Tax assessment 2025: refund of 312 EUR.", text_source="text")
    Document.objects.filter(pk=pdf_id).update(
        state="classified",
        text="Scanned page",
        text_source="ocr",
        pages=2,
        date=date(2025, 3, 14),
        date_source="manual",
    )
    assert alice_api.patch(f"/api/documents/{text_id}/", {"topic_ids": [taxes.pk]}, format="json").status_code == 200
    DocumentTopic.objects.create(document_id=pdf_id, topic=taxes, source="builtin", confidence=0.93)
    DocumentTopic.objects.create(document_id=photo_id, topic=receipts, source="llm", confidence=0.81)
    Note.objects.create(document_id=text_id, text="Paid back in March.")
    Note.objects.create(document_id=text_id, text="Keep until 2035.")
    trashed = upload_document(alice_api, unique_bytes(500), filename="old.txt", classify=False)
    Document.objects.filter(pk=trashed["id"]).update(deleted_at=timezone.now())
    upload_document(alice_api, unique_bytes(300), filename="unconfirmed.txt", confirm=False)
    return kept


def download(client, url: str) -> requests.Response:
    """Follow Kite's link to the presigned GET, as a browser does."""
    redirect = client.get(url)
    assert redirect.status_code == 302, redirect.content
    answer = requests.get(redirect["Location"], timeout=30)
    assert answer.status_code == 200
    return answer


def test_export_downloads_every_file_and_imports_into_another_person(
    alice, alice_api, bob, bob_api, worker, unique_bytes, tmp_path
):
    """LIFE-05: the zip holds every live document's file byte for byte and a metadata.json with titles, topics,
    notes and text (nothing from the trash or an unfinished upload); imported into bob's account it gives him
    the same documents, topics, notes, text and quota use, and alice keeps hers."""
    kept = library(alice, alice_api, unique_bytes)
    alice_used = Quota.objects.get(user=alice).used_bytes

    answer = alice_api.post("/api/exports/")
    assert answer.status_code == 202 and answer.json()["state"] in ("queued", "running", "ready")
    export_id = answer.json()["id"]
    ready = wait_for(lambda: (alice_api.get(f"/api/exports/{export_id}/").json()["state"] == "ready") or None, 60)
    assert ready
    detail = alice_api.get(f"/api/exports/{export_id}/").json()
    assert detail["download_url"] == f"/api/exports/{export_id}/download/"
    assert detail["documents_total"] == detail["documents_done"] == 3
    fetched = download(alice_api, detail["download_url"])
    assert f"kite-export-{timezone.now():%Y-%m-%d}.zip" in fetched.headers["Content-Disposition"]
    assert detail["size_bytes"] == len(fetched.content)
    assert Quota.objects.get(user=alice).used_bytes == alice_used  # not charged

    archive = zipfile.ZipFile(io.BytesIO(fetched.content))
    assert archive.testzip() is None
    metadata = json.loads(archive.read("metadata.json"))
    assert metadata["format"] == "kite-export" and metadata["version"] == 1
    assert {topic["name"]: topic["description"] for topic in metadata["topics"]} == {
        "Taxes": "Tax returns and assessments",
        "Unused": "A topic no document has",
    }
    entries = {entry["id"]: entry for entry in metadata["documents"]}
    assert set(entries) == set(kept)
    for document_id, data in kept.items():
        entry = entries[document_id]
        assert entry["file"].startswith(f"files/{document_id}-")
        assert archive.read(entry["file"]) == data
        assert entry["sha256_verified"] is True and "problem" not in entry
    assert sorted(archive.namelist()) == sorted(["metadata.json", *(entry["file"] for entry in entries.values())])
    text_id, pdf_id, photo_id = kept
    assert entries[text_id]["notes"][0]["text"] == "Paid back in March."
    assert [note["text"] for note in entries[text_id]["notes"]] == ["Paid back in March.", "Keep until 2035."]
    assert entries[text_id]["topics"] == [{"name": "Taxes", "is_system": False, "source": "manual", "confidence": None}]
    assert entries[pdf_id]["topics"] == [{"name": "Taxes", "is_system": False, "source": "builtin", "confidence": 0.93}]
    assert entries[photo_id]["topics"] == [{"name": "Receipts", "is_system": True, "source": "llm", "confidence": 0.81}]
    assert entries[pdf_id]["text"] == "Scanned page" and entries[pdf_id]["pages"] == 2
    assert entries[pdf_id]["text_source"] == "ocr" and entries[pdf_id]["state"] == "classified"
    assert entries[photo_id]["filename"] == "photo of a receipt.jpg"
    actions = list(Event.objects.filter(owner=alice, action__startswith="export").values_list("action", flat=True))
    assert sorted(actions) == ["export_ready", "export_requested"]

    path = tmp_path / "export.zip"
    path.write_bytes(fetched.content)
    out = io.StringIO()
    call_command("import_export", str(path), user="bob", stdout=out)
    assert "Imported 3 documents" in out.getvalue()

    imported = {document.sha256: document for document in Document.objects.filter(owner=bob)}
    assert len(imported) == 3
    assert Quota.objects.get(user=bob).used_bytes == sum(len(data) for data in kept.values())
    assert Quota.objects.get(user=bob).reserved_bytes == 0
    for document_id, data in kept.items():
        entry = entries[document_id]
        document = imported[entry["sha256"]]
        assert document.pk != document_id and document.key.startswith(f"u/{bob.uuid}/")
        assert (document.title, document.filename, document.text, document.state) == (
            entry["title"],
            entry["filename"],
            entry["text"],
            entry["state"],
        )
        assert download(bob_api, f"/api/documents/{document.pk}/download/").content == data
        shown = bob_api.get(f"/api/documents/{document.pk}/").json()
        assert [(t["name"], t["is_system"], t["source"], t["confidence"]) for t in shown["topics"]] == [
            (t["name"], t["is_system"], t["source"], t["confidence"]) for t in entry["topics"]
        ]
        assert [note.text for note in document.notes.all()] == [note["text"] for note in entry["notes"]]
    assert {(t.name, t.description) for t in Topic.objects.filter(owner=bob)} == {
        ("Taxes", "Tax returns and assessments"),
        ("Unused", "A topic no document has"),
    }
    assert imported[entries[pdf_id]["sha256"]].pages == 2
    assert entries[pdf_id]["date"] == "2025-03-14"
    assert (imported[entries[pdf_id]["sha256"]].date, imported[entries[pdf_id]["sha256"]].date_source) == (
        date(2025, 3, 14),
        "manual",
    )
    # bob's search finds the imported text and notes.
    assert bob_api.get("/api/documents/?q=refund").json()["count"] == 1
    # alice still has everything of hers.
    assert Document.objects.filter(owner=alice, deleted_at__isnull=True).stored().count() == 3

    # The same zip again: every file is already in bob's account, so nothing is added.
    again = io.StringIO()
    call_command("import_export", str(path), user="bob", stdout=again)
    assert "Imported 0 documents" in again.getvalue() and "already in the account" in again.getvalue()
    assert Document.objects.filter(owner=bob).count() == 3
