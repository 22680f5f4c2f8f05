"""A document's row holds what lists, counts and ranking read; its long values live out of line (migration 0016)."""

from __future__ import annotations

import importlib
import random
import string
from collections import Counter

import pytest
from django.db import connection

from documents.models import Document
from documents.tests.factories import DocumentFactory

pytestmark = pytest.mark.django_db
# The migration's own probe for LZ4, so the expectation follows the server the tests run on.
narrow_rows = importlib.import_module("documents.migrations.0016_narrow_rows")


def prose(seed: int, words: int = 700) -> str:
    """Text about as compressible as a letter's: 700 words drawn from a vocabulary of 400, as words repeat in prose."""
    rng = random.Random(seed)
    vocabulary = ["".join(rng.choices(string.ascii_lowercase, k=rng.randint(2, 9))) for _ in range(400)]
    return " ".join(rng.choices(vocabulary, k=words))


def test_the_table_keeps_short_columns_in_the_row_and_long_values_out():
    """Every varchar and the rank vector stay in the row (STORAGE MAIN); the text, the notes and the matching vector
    may leave it, and leave it whenever a row is toasted (toast_tuple_target), compressed with LZ4 where the server
    has it."""
    table = Document._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE oid = %s::regclass", [table])
        assert "toast_tuple_target=128" in cursor.fetchone()[0]
        cursor.execute(
            "SELECT attname, attstorage, format_type(atttypid, atttypmod), attcompression FROM pg_attribute "
            "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
            [table],
        )
        rows = cursor.fetchall()
    storage = {name: (kind, type_) for name, kind, type_, _ in rows}
    compression = {name: method for name, _, _, method in rows}
    short = [name for name, (_, type_) in storage.items() if type_.startswith("character varying")]
    assert {"title", "filename", "key", "sha256"} <= set(short)
    assert all(storage[name][0] == "m" for name in short), storage
    assert storage["rank_vector"][0] == "m"
    assert {storage[name][0] for name in ("text", "notes_text", "search_vector")} == {"x"}
    with connection.schema_editor() as editor:
        lz4 = narrow_rows.lz4_supported(editor)
    assert {compression[name] for name in ("text", "notes_text", "search_vector")} == {"l" if lz4 else ""}


def test_a_documents_matching_vector_is_stored_compressed_with_lz4_where_the_server_has_it(alice):
    """What a phrase search unpacks for every candidate, and the text a snippet is cut from."""
    document = DocumentFactory(owner=alice, title="Letter", text=prose(7))
    with connection.schema_editor() as editor:
        lz4 = narrow_rows.lz4_supported(editor)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_column_compression(search_vector), pg_column_compression(text) FROM documents_document "
            "WHERE id = %s",
            [document.pk],
        )
        assert cursor.fetchone() == (("lz4", "lz4") if lz4 else ("pglz", "pglz"))


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
