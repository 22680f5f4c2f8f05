"""What the database stores for search: the owner-keyed match vector, the small rank vector, and their index."""

from __future__ import annotations

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db.models import F, Func, Index, TextField, Value
from django.db.models.functions import Left

# The text search configuration made by migration 0015: PostgreSQL's `english` with accents taken off every word
# before it is stemmed, so "receipts" finds "receipt" and "resume" finds "Résumé". One configuration names both
# steps, and the stored vectors, the queries and the highlighter all use it by that one name, so they can never
# disagree. A wrapper function around unaccent() would do the same for the vectors, but it would have to be
# declared IMMUTABLE over a STABLE function and name the extension's schema in its body, and the highlighter
# would mark the unaccented copy of the text rather than the text people wrote.
CONFIG = "kite_search"
# Only the opening of very long texts is indexed: a tsvector may not exceed 1 MB.
INDEXED_TEXT_CHARS = 200_000
INDEXED_NOTES_CHARS = 100_000
# The opening of the text that ranks (its first line or two): the rank vector is read for every match, so it
# stays small enough to keep a row narrow (migration 0016).
RANKED_TEXT_CHARS = 120
NAME_SEPARATORS = "._-+~,;:()[]{}#@&=!'"
# SQL functions (migration 0006) that prefix each word of a tsvector or tsquery with "<owner id>:".
OWNER_TSVECTOR = "kite_owner_tsvector"
OWNER_TSQUERY = "kite_owner_tsquery"


def search_vector() -> Func:
    """What a search matches: every word of the title, the filename, the text and the notes, each prefixed with the
    owner's id.

    PostgreSQL only (NULL elsewhere). `kite_owner_tsvector` is defined by migration 0006.
    """
    words = SearchVector(
        "title",
        split_separators("title"),
        "filename",
        split_separators("filename"),
        Left("text", INDEXED_TEXT_CHARS),
        Left("notes_text", INDEXED_NOTES_CHARS),
        config=CONFIG,
    )
    return OnPostgreSQL(Func(F("owner_id"), words, function=OWNER_TSVECTOR, output_field=SearchVectorField()))


def rank_vector() -> Func:
    """What a search ranks by: the title, then the filename, then the opening of the text.

    A few hundred bytes, so it stays in the table row: ranking thousands of matches never has to fetch and
    read their full vectors, which is what made broad searches slow.
    """
    return OnPostgreSQL(
        SearchVector("title", split_separators("title"), config=CONFIG, weight="A")
        + SearchVector("filename", split_separators("filename"), config=CONFIG, weight="B")
        + SearchVector(Left("text", RANKED_TEXT_CHARS), config=CONFIG, weight="C")
    )


def split_separators(field: str) -> Func:
    """`field` with name separators as spaces: the parser reads "tax_2024.pdf" or "report.final" as one word."""
    return Func(
        F(field),
        Value(NAME_SEPARATORS),
        Value(" " * len(NAME_SEPARATORS)),
        function="translate",
        output_field=TextField(),
    )


class OnPostgreSQL(Func):
    """Its expression on PostgreSQL and NULL on other databases, which have no text search types."""

    template = "%(expressions)s"

    def as_sql(self, compiler, connection, function=None, template=None, arg_joiner=None, **extra_context):
        if connection.vendor != "postgresql":
            return "NULL", ()
        return super().as_sql(compiler, connection, function, template, arg_joiner, **extra_context)


class SearchVectorIndex(GinIndex):
    """A GIN index on PostgreSQL; elsewhere a plain index of the (always NULL) column, so migrations still run."""

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.vendor != "postgresql":
            return Index.create_sql(self, model, schema_editor, using=using, **kwargs)
        return super().create_sql(model, schema_editor, using=using, **kwargs)
