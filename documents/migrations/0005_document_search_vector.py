import django.contrib.postgres.search
import django.db.models.functions.text
from django.db import migrations, models

import documents.search

SEPARATORS = "._-+~,;:()[]{}#@&=!'"


def split(field):
    return models.Func(
        models.F(field),
        models.Value(SEPARATORS),
        models.Value(" " * len(SEPARATORS)),
        function="translate",
        output_field=models.TextField(),
    )


def vector(*expressions, **weight):
    return django.contrib.postgres.search.SearchVector(*expressions, config="simple", **weight)


def combined(lhs, rhs):
    return django.contrib.postgres.search.CombinedSearchVector(
        lhs, "||", rhs, django.contrib.postgres.search.SearchConfig("simple")
    )


def keep_rank_vector_in_row(apps, schema_editor):
    """Ranking reads rank_vector for every match: keep it in the table row, never in the TOAST table.

    search_vector stays out of line: only phrase rechecks read it, and inline it would make the table four
    times larger for every scan.
    """
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute('ALTER TABLE "documents_document" ALTER COLUMN "rank_vector" SET STORAGE MAIN')


def let_rank_vector_move(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute('ALTER TABLE "documents_document" ALTER COLUMN "rank_vector" SET STORAGE EXTENDED')


class Migration(migrations.Migration):
    """Full-text search: stored tsvectors computed by PostgreSQL, one to match (GIN-indexed), one to rank.

    On PostgreSQL, adding the generated columns computes them for every existing document (the table is
    rewritten once, so no separate backfill is needed). On SQLite they are always NULL and search falls back
    to plain matching.
    """

    dependencies = [
        ("documents", "0004_classifier_model"),
    ]

    operations = [
        migrations.AddField(
            model_name="document",
            name="search_vector",
            field=models.GeneratedField(
                db_persist=True,
                expression=documents.search.OnPostgreSQL(
                    vector(
                        "title",
                        split("title"),
                        "filename",
                        split("filename"),
                        django.db.models.functions.text.Left("text", 200000),
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
        migrations.RunPython(keep_rank_vector_in_row, let_rank_vector_move, elidable=True),
        migrations.AddIndex(
            model_name="document",
            index=documents.search.SearchVectorIndex(fastupdate=False, fields=["search_vector"], name="document_search"),
        ),
    ]
