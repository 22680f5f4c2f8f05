"""The language search stems words in: one per instance, `KITE_SEARCH_LANGUAGE`, applied by `manage.py migrate`.

The `kite_search` text search configuration (migration 0015) names the stemmer once, and the stored vectors, the
queries and the snippets all use that configuration by name. Changing the language is thus two steps in one
transaction: point the configuration's word mappings at the other stemmer (accents still taken off first), then
compute every document's vectors again, since a stored vector holds the stems of the language it was made with.
`migrate` does both when the setting and the database disagree, and nothing otherwise.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import connections, transaction

from documents.search.index import CONFIG

logger = logging.getLogger(__name__)

# PostgreSQL's Snowball stemmers (each `<language>_stem` ships with PostgreSQL itself), and `simple`: words
# lower-cased and unaccented, never stemmed.
LANGUAGES = (
    "arabic armenian basque catalan danish dutch english finnish french german greek hindi hungarian indonesian "
    "irish italian lithuanian nepali norwegian portuguese romanian russian serbian simple spanish swedish tamil "
    "turkish yiddish"
).split()

# The word types the `english` configuration stems, split by whether they can hold letters outside ASCII: only
# those go through `unaccent` first.
ASCII_WORDS = ("asciiword", "asciihword", "hword_asciipart")
OTHER_WORDS = ("word", "hword", "hword_part")


def dictionary(language: str) -> str:
    return "simple" if language == "simple" else f"{language}_stem"


def current_dictionary(using: str = "default") -> str | None:
    """The dictionary `kite_search` stems plain words with, or None where there is no such configuration."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT d.dictname FROM pg_ts_config_map m
              JOIN pg_ts_config c ON c.oid = m.mapcfg
              JOIN pg_ts_dict d ON d.oid = m.mapdict
              JOIN ts_token_type('default') t ON t.tokid = m.maptokentype
             WHERE c.cfgname = %s AND t.alias = 'asciiword'
             ORDER BY m.mapseqno DESC LIMIT 1
            """,
            [CONFIG],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def search_language_apply(language: str | None = None, using: str = "default") -> bool:
    """Make search stem words in `language` (default: the setting); True if anything had to change.

    Every document's search vectors are computed again in the same transaction, so no search ever compares
    stems of two languages. Updating a row makes PostgreSQL compute its generated columns again; the update
    writes each row's own title back, which changes nothing else (no trigger, no `modified` column).
    """
    language = language or settings.KITE_SEARCH_LANGUAGE
    if language not in LANGUAGES:
        raise ValueError(f"KITE_SEARCH_LANGUAGE must be one of: {', '.join(LANGUAGES)}")
    wanted = dictionary(language)
    if current_dictionary(using) in (None, wanted):
        return False
    connection = connections[using]
    quote = connection.ops.quote_name
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute(
            f"ALTER TEXT SEARCH CONFIGURATION {quote(CONFIG)} ALTER MAPPING FOR {', '.join(ASCII_WORDS)} "
            f"WITH pg_catalog.{quote(wanted)}"
        )
        cursor.execute(
            f"ALTER TEXT SEARCH CONFIGURATION {quote(CONFIG)} ALTER MAPPING FOR {', '.join(OTHER_WORDS)} "
            f"WITH unaccent, pg_catalog.{quote(wanted)}"
        )
        cursor.execute("UPDATE documents_document SET title = title")
        logger.info("search now stems %s words: %d documents indexed again", language, cursor.rowcount)
    return True


def apply_after_migrate(sender, using: str = "default", **kwargs) -> None:
    """post_migrate, for the documents app: the language follows the setting once the configuration exists."""
    search_language_apply(using=using)
