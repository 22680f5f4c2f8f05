"""A document's row holds what lists, counts and ranking read; its long values live out of line (migration 0016)."""

from __future__ import annotations

import random
import string
from collections import Counter

import pytest
from django.db import connection

from documents.models import Document
from documents.tests.factories import DocumentFactory

pytestmark = pytest.mark.django_db


def prose(seed: int, words: int = 700) -> str:
    """Text about as compressible as a letter's: words of 2 to 9 letters, none repeated by rule."""
    rng = random.Random(seed)
    return " ".join("".join(rng.choices(string.ascii_lowercase, k=rng.randint(2, 9))) for _ in range(words))


def test_the_table_keeps_short_columns_in_the_row_and_long_values_out():
    """Every varchar and the rank vector stay in the row (STORAGE MAIN); the text, the notes and the matching vector
    may leave it, and leave it whenever a row is toasted (toast_tuple_target)."""
    table = Document._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE oid = %s::regclass", [table])
        assert "toast_tuple_target=128" in cursor.fetchone()[0]
        cursor.execute(
            "SELECT attname, attstorage, format_type(atttypid, atttypmod) FROM pg_attribute "
            "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
            [table],
        )
        storage = {name: (kind, type_) for name, kind, type_ in cursor.fetchall()}
    short = [name for name, (_, type_) in storage.items() if type_.startswith("character varying")]
    assert {"title", "filename", "key", "sha256"} <= set(short)
    assert all(storage[name][0] == "m" for name in short), storage
    assert storage["rank_vector"][0] == "m"
    assert {storage[name][0] for name in ("text", "notes_text", "search_vector")} == {"x"}


def test_documents_with_long_texts_fill_pages_with_narrow_rows(alice):
    """A search for a common word visits every match's row: with the text and the matching vector out of line
    and a rank vector of the text's opening only, ten or more such rows share a page (about five did before)."""
    Document.objects.bulk_create(
        DocumentFactory.build(owner=alice, title=f"Letter {i}", text=prose(i)) for i in range(60)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (ctid::text::point)[0] FROM documents_document WHERE owner_id = %s AND title LIKE 'Letter %%'",
            [alice.pk],
        )
        per_page = Counter(page for (page,) in cursor.fetchall())
    assert max(per_page.values()) >= 10, per_page
