import django.contrib.postgres.search
import django.db.models.functions.text
from django.db import migrations, models

import documents.search

SEPARATORS = "._-+~,;:()[]{}#@&=!'"

# Each lexeme becomes "<owner>:<lexeme>" and keeps its positions (phrases need them); quotes and backslashes
# are doubled, as the tsvector input syntax wants them. Weights are not kept: the matching vector has none.
OWNER_TSVECTOR = r"""
CREATE OR REPLACE FUNCTION kite_owner_tsvector(owner bigint, words tsvector) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT coalesce(string_agg(
    '''' || replace(replace(owner::text || ':' || w.lexeme, '\', '\\'), '''', '''''') || '''' ||
    coalesce(':' || array_to_string(w.positions, ','), ''),
    ' '), '')::tsvector
  FROM unnest(words) AS w
$$
"""

# A tsquery's text form quotes every lexeme ('word', with '' for a quote): prefix each one the same way.
OWNER_TSQUERY = r"""
CREATE OR REPLACE FUNCTION kite_owner_tsquery(owner bigint, query tsquery) RETURNS tsquery
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT regexp_replace(query::text, '''((?:[^'']|'''')*)''', '''' || owner::text || ':\1''', 'g')::tsquery
$$
"""


def split(field):
    return models.Func(
        models.F(field),
        models.Value(SEPARATORS),
        models.Value(" " * len(SEPARATORS)),
        function="translate",
        output_field=models.TextField(),
    )


def words():
    return django.contrib.postgres.search.SearchVector(
        "title",
        split("title"),
        "filename",
        split("filename"),
        django.db.models.functions.text.Left("text", 200000),
        config="simple",
    )


def create_functions(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(OWNER_TSVECTOR)
        schema_editor.execute(OWNER_TSQUERY)


def drop_functions(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS kite_owner_tsvector(bigint, tsvector)")
        schema_editor.execute("DROP FUNCTION IF EXISTS kite_owner_tsquery(bigint, tsquery)")


class Migration(migrations.Migration):
    """Search per owner: every word of the matching vector is prefixed with its owner's id.

    One GIN index then holds each person's words under their own keys, so a search reads only its owner's
    postings instead of every person's and narrowing afterwards. The column is computed again for every
    document (the table is rewritten once) and its index rebuilt.
    """

    dependencies = [
        ("documents", "0005_document_search_vector"),
    ]

    operations = [
        migrations.RunPython(create_functions, drop_functions, elidable=False),
        # A generated column's expression cannot change in place: drop it (and its index), add it anew.
        migrations.RemoveIndex(model_name="document", name="document_search"),
        migrations.RemoveField(model_name="document", name="search_vector"),
        migrations.AddField(
            model_name="document",
            name="search_vector",
            field=models.GeneratedField(
                db_persist=True,
                expression=documents.search.OnPostgreSQL(
                    models.Func(
                        models.F("owner_id"),
                        words(),
                        function="kite_owner_tsvector",
                        output_field=django.contrib.postgres.search.SearchVectorField(),
                    )
                ),
                output_field=django.contrib.postgres.search.SearchVectorField(null=True),
            ),
        ),
        migrations.AddIndex(
            model_name="document",
            index=documents.search.SearchVectorIndex(fastupdate=False, fields=["search_vector"], name="document_search"),
        ),
    ]
