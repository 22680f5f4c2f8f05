import django.contrib.postgres.search
import django.db.models.functions.text
from django.db import DatabaseError, migrations, models, transaction
from django.db.models.sql import Query

import documents.search

SEPARATORS = "._-+~,;:()[]{}#@&=!'"
CONFIG = "kite_search"
# The opening of the text that ranks, in characters: 500 before, 120 now (the first line or two).
RANKED_BEFORE, RANKED_NOW = 500, 120
# Below this, PostgreSQL's toaster moves a row's long values out of line (its default is about 2 KB): the search
# columns and the text leave the row whenever the row needs toasting at all.
TOAST_TUPLE_TARGET = 128


def split(field):
    return models.Func(
        models.F(field),
        models.Value(SEPARATORS),
        models.Value(" " * len(SEPARATORS)),
        function="translate",
        output_field=models.TextField(),
    )


def search_vector():
    return models.GeneratedField(
        db_persist=True,
        expression=documents.search.OnPostgreSQL(
            models.Func(
                models.F("owner_id"),
                django.contrib.postgres.search.SearchVector(
                    "title",
                    split("title"),
                    "filename",
                    split("filename"),
                    django.db.models.functions.text.Left("text", 200000),
                    django.db.models.functions.text.Left("notes_text", 100000),
                    config=CONFIG,
                ),
                function="kite_owner_tsvector",
                output_field=django.contrib.postgres.search.SearchVectorField(),
            )
        ),
        output_field=django.contrib.postgres.search.SearchVectorField(null=True),
    )


def rank_vector(text_chars):
    def vector(*expressions, **weight):
        return django.contrib.postgres.search.SearchVector(*expressions, config=CONFIG, **weight)

    def combined(lhs, rhs):
        return django.contrib.postgres.search.CombinedSearchVector(
            lhs, "||", rhs, django.contrib.postgres.search.SearchConfig(CONFIG)
        )

    return models.GeneratedField(
        db_persist=True,
        expression=documents.search.OnPostgreSQL(
            combined(
                combined(
                    vector("title", split("title"), weight="A"),
                    vector("filename", split("filename"), weight="B"),
                ),
                vector(django.db.models.functions.text.Left("text", text_chars), weight="C"),
            )
        ),
        output_field=django.contrib.postgres.search.SearchVectorField(null=True),
    )


def lz4_supported(schema_editor) -> bool:
    """Whether this PostgreSQL was built with LZ4 (most packages are): asked by trying, in a savepoint. Any
    refusal (no LZ4, or no right to make a temporary table) means PostgreSQL's default compression."""
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE TEMPORARY TABLE kite_lz4_probe (t text COMPRESSION lz4) ON COMMIT DROP")
            schema_editor.execute("DROP TABLE kite_lz4_probe")
    except DatabaseError:
        return False
    return True


def narrow(text_chars, short_storage, toast_target, compression):
    """One ALTER TABLE, so the table is rewritten once and every existing row follows the new settings.

    Every short column (each varchar) is kept in the row (STORAGE MAIN): with a toast target this low, PostgreSQL
    would otherwise move a title or a key to the TOAST table too, and a list would fetch them back one by one.
    The long values (the text, the notes, the matching vector) are what leave the row. Both vectors are dropped
    and added anew, which is what rewrites the table (the rewrite stores each row again, toasted under the new
    settings) and computes them again for every document: rank_vector with its shorter opening, search_vector
    compressed with LZ4 where the server has it (a phrase search unpacks the vector of every candidate, and LZ4
    unpacks it about a third faster than PostgreSQL's own pglz). New texts and notes are stored with LZ4 too;
    those already stored keep pglz until they are written again. The search index goes with the column and is
    made again by the operation after this one.
    """

    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        model = apps.get_model("documents", "Document")
        quote = schema_editor.quote_name
        clauses = [f"SET (toast_tuple_target = {toast_target})" if toast_target else "RESET (toast_tuple_target)"]
        for field in model._meta.concrete_fields:
            if isinstance(field, models.CharField):
                clauses.append(f"ALTER COLUMN {quote(field.column)} SET STORAGE {short_storage}")
        params: list = []
        clauses += [f"DROP COLUMN {quote('search_vector')}", f"DROP COLUMN {quote('rank_vector')}"]
        for name, field in (("search_vector", search_vector()), ("rank_vector", rank_vector(text_chars))):
            # What AddField would do for the field, but in the same statement as the rest.
            field.set_attributes_from_name(name)
            field.model = model
            field._query = Query(model=model, alias_cols=False)
            definition, definition_params = schema_editor.column_sql(model, field)
            clauses.append(f"ADD COLUMN {quote(name)} {definition}")
            params += definition_params
        clauses += [
            f"ALTER COLUMN {quote('rank_vector')} SET STORAGE MAIN",
            f"ALTER COLUMN {quote('search_vector')} SET STATISTICS 0",  # as migration 0014 set it
        ]
        method = compression if compression != "lz4" or lz4_supported(schema_editor) else "default"
        for name in ("search_vector", "text", "notes_text"):
            clauses.append(f"ALTER COLUMN {quote(name)} SET COMPRESSION {method}")
        schema_editor.execute(f"ALTER TABLE {quote(model._meta.db_table)} " + ", ".join(clauses), params)

    return run


class Migration(migrations.Migration):
    """A document's row holds what lists, counts and ranking read, and little else.

    A search for a common word visits the row of every match (to count it, rank it and check it is outside the
    trash). Those rows were about 1.3 KB each, 858 bytes of it the rank vector with its 500 characters of text,
    so 30,000 matches among 100,000 documents meant visiting 15,600 of the table's 16,700 pages. The rank vector
    now takes the text's first 120 characters, and the long values leave the row whenever it is toasted: about
    600 bytes a row, 10,000 pages for the same documents. SQLite keeps no such settings and NULL vectors: nothing
    to do there.
    """

    dependencies = [
        ("documents", "0015_search_word_forms"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="document", name="document_search"),
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunPython(
                    narrow(RANKED_NOW, "MAIN", TOAST_TUPLE_TARGET, "lz4"),
                    narrow(RANKED_BEFORE, "EXTENDED", None, "default"),
                    elidable=False,
                ),
            ],
            state_operations=[
                migrations.RemoveField(model_name="document", name="rank_vector"),
                migrations.AddField(model_name="document", name="rank_vector", field=rank_vector(RANKED_NOW)),
            ],
        ),
        migrations.AddIndex(
            model_name="document",
            index=documents.search.SearchVectorIndex(
                fastupdate=False, fields=["search_vector"], name="document_search"
            ),
        ),
    ]
