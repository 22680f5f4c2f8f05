import django.contrib.postgres.operations
import django.contrib.postgres.search
import django.db.models.functions.text
from django.db import migrations, models
from django.db.models.sql import Query

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


def search_vector(config):
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
                    config=config,
                ),
                function="kite_owner_tsvector",
                output_field=django.contrib.postgres.search.SearchVectorField(),
            )
        ),
        output_field=django.contrib.postgres.search.SearchVectorField(null=True),
    )


def rank_vector(config):
    def vector(*expressions, **weight):
        return django.contrib.postgres.search.SearchVector(*expressions, config=config, **weight)

    def combined(lhs, rhs):
        return django.contrib.postgres.search.CombinedSearchVector(
            lhs, "||", rhs, django.contrib.postgres.search.SearchConfig(config)
        )

    return models.GeneratedField(
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
    )


def create_config(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE_CONFIG)


def drop_config(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_CONFIG)


def rebuild_vectors(config):
    """Both vectors dropped and added anew with `config`, in one ALTER TABLE: one rewrite of the table.

    The column settings of 0005 and 0014 are part of the same statement, so the rewrite already follows them:
    rank_vector is kept in the table row (ranking reads it for every match; set after the rewrite, it would
    apply only to rows written later, and every existing row would fetch it from the TOAST table), and
    search_vector has no planner statistics, so every search goes through the owner-keyed index. On SQLite
    both columns are NULL before and after: nothing to do there.
    """

    def rebuild(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        model = apps.get_model("documents", "Document")
        quote = schema_editor.quote_name
        clauses, params = [f"DROP COLUMN {quote('search_vector')}", f"DROP COLUMN {quote('rank_vector')}"], []
        for name, field in (("search_vector", search_vector(config)), ("rank_vector", rank_vector(config))):
            # What AddField would do for the field, but in the same statement as the rest.
            field.set_attributes_from_name(name)
            field.model = model
            field._query = Query(model=model, alias_cols=False)
            definition, definition_params = schema_editor.column_sql(model, field)
            clauses.append(f"ADD COLUMN {quote(name)} {definition}")
            params += definition_params
        clauses.append(f"ALTER COLUMN {quote('rank_vector')} SET STORAGE MAIN")
        clauses.append(f"ALTER COLUMN {quote('search_vector')} SET STATISTICS 0")
        schema_editor.execute(f"ALTER TABLE {quote(model._meta.db_table)} " + ", ".join(clauses), params)

    return rebuild


class Migration(migrations.Migration):
    """Search finds the forms of a word: "receipts" finds "receipt", "resume" finds "Résumé".

    Both vectors are built with the `kite_search` configuration (English stemming, accents removed) instead of
    `simple`. A generated column's expression cannot change in place: both are dropped and added anew, which
    computes them again for every document (the table is rewritten once) and the index is rebuilt. SQLite has
    no text search: there the extension and the configuration are skipped and the columns stay NULL.
    """

    dependencies = [
        ("documents", "0014_live_indexes_and_search_statistics"),
    ]

    operations = [
        django.contrib.postgres.operations.UnaccentExtension(),
        migrations.RunPython(create_config, drop_config, elidable=False),
        migrations.RemoveIndex(model_name="document", name="document_search"),
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunPython(rebuild_vectors(CONFIG), rebuild_vectors("simple"), elidable=False),
            ],
            state_operations=[
                migrations.RemoveField(model_name="document", name="search_vector"),
                migrations.RemoveField(model_name="document", name="rank_vector"),
                migrations.AddField(model_name="document", name="search_vector", field=search_vector(CONFIG)),
                migrations.AddField(model_name="document", name="rank_vector", field=rank_vector(CONFIG)),
            ],
        ),
        migrations.AddIndex(
            model_name="document",
            index=documents.search.SearchVectorIndex(fastupdate=False, fields=["search_vector"], name="document_search"),
        ),
    ]
