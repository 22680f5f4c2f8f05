import django.contrib.postgres.operations
import django.contrib.postgres.search
import django.db.models.functions.text
from django.db import migrations, models

import documents.search

SEPARATORS = "._-+~,;:()[]{}#@&=!'"
CONFIG = "kite_search"

# English stemming and stop words, with accents taken off the words that have any (word types `word`, `hword`
# and `hword_part` hold the non-ASCII words) before they are stemmed: unaccent is a filtering dictionary, it
# hands its output to english_stem. The dictionaries are looked up once, here, and kept by their ids, so
# later changes to search_path cannot change what a stored vector or a query means.
CREATE_CONFIG = f"""
CREATE TEXT SEARCH CONFIGURATION {CONFIG} (COPY = pg_catalog.english);
ALTER TEXT SEARCH CONFIGURATION {CONFIG}
  ALTER MAPPING FOR word, hword, hword_part WITH unaccent, pg_catalog.english_stem;
"""
DROP_CONFIG = f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {CONFIG}"


def split(field):
    return models.Func(
        models.F(field),
        models.Value(SEPARATORS),
        models.Value(" " * len(SEPARATORS)),
        function="translate",
        output_field=models.TextField(),
    )


def vector(*expressions, **weight):
    return django.contrib.postgres.search.SearchVector(*expressions, config=CONFIG, **weight)


def combined(lhs, rhs):
    return django.contrib.postgres.search.CombinedSearchVector(
        lhs, "||", rhs, django.contrib.postgres.search.SearchConfig(CONFIG)
    )


def create_config(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE_CONFIG)


def drop_config(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_CONFIG)


def keep_column_settings(apps, schema_editor):
    """What 0005 and 0014 set on the columns, which a dropped and added column no longer has.

    rank_vector stays in the table row (ranking reads it for every match); search_vector carries no planner
    statistics, so every search goes through the owner-keyed index (see 0014).
    """
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute('ALTER TABLE "documents_document" ALTER COLUMN "rank_vector" SET STORAGE MAIN')
        schema_editor.execute('ALTER TABLE "documents_document" ALTER COLUMN "search_vector" SET STATISTICS 0')


class Migration(migrations.Migration):
    """Search finds the forms of a word: "receipts" finds "receipt", "resume" finds "Résumé".

    Both vectors are built with the `kite_search` configuration (English stemming, accents removed) instead of
    `simple`. A generated column's expression cannot change in place: both are dropped and added anew, which
    computes them again for every document (the table is rewritten once), the index is rebuilt, and the
    column settings of 0005 and 0014 are applied again, also when this is undone. SQLite has no text search:
    there the extension and the configuration are skipped and the columns stay NULL.
    """

    dependencies = [
        ("documents", "0014_live_indexes_and_search_statistics"),
    ]

    operations = [
        django.contrib.postgres.operations.UnaccentExtension(),
        migrations.RunPython(create_config, drop_config, elidable=False),
        # Undone last: the columns built with `simple` get their settings back.
        migrations.RunPython(migrations.RunPython.noop, keep_column_settings, elidable=False),
        migrations.RemoveIndex(model_name="document", name="document_search"),
        migrations.RemoveField(model_name="document", name="search_vector"),
        migrations.RemoveField(model_name="document", name="rank_vector"),
        migrations.AddField(
            model_name="document",
            name="search_vector",
            field=models.GeneratedField(
                db_persist=True,
                expression=documents.search.OnPostgreSQL(
                    models.Func(
                        models.F("owner_id"),
                        vector(
                            "title",
                            split("title"),
                            "filename",
                            split("filename"),
                            django.db.models.functions.text.Left("text", 200000),
                            django.db.models.functions.text.Left("notes_text", 100000),
                        ),
                        function="kite_owner_tsvector",
                        output_field=django.contrib.postgres.search.SearchVectorField(),
                    )
                ),
                output_field=django.contrib.postgres.search.SearchVectorField(null=True),
            ),
        ),
        migrations.AddField(
            model_name="document",
            name="rank_vector",
            field=models.GeneratedField(
                db_persist=True,
                expression=documents.search.OnPostgreSQL(
                    combined(
                        combined(
                            vector("title", split("title"), weight="A"),
                            vector("filename", split("filename"), weight="B"),
                        ),
                        vector(django.db.models.functions.text.Left("text", 500), weight="C"),
                    )
                ),
                output_field=django.contrib.postgres.search.SearchVectorField(null=True),
            ),
        ),
        migrations.RunPython(keep_column_settings, migrations.RunPython.noop, elidable=False),
        migrations.AddIndex(
            model_name="document",
            index=documents.search.SearchVectorIndex(fastupdate=False, fields=["search_vector"], name="document_search"),
        ),
    ]
