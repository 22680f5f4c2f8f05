"""A confirm's usual case in one SQL statement, on PostgreSQL (documents.services.document_confirm).

Through the ORM a confirm is a transaction of four statements: the locked read of the document, the quota's
conditional UPDATE (QuotaQuerySet.use_reserved), the document's UPDATE and the activity INSERT, each built by
the ORM and sent in its own round trip, with a BEGIN and a COMMIT around them. Measured in-process, building
and running them took about 4.5 ms of the web worker's CPU per confirm, more than a whole `GET /api/quota/`.
Here the same four steps are one statement of data-modifying CTEs, sent once and run in autocommit: one round
trip, one implicit transaction, and nothing for the ORM to compile.

The statement does the usual case only: an upload still `uploading`, under the key Kite gives it, whose stored
size is the declared one, whose charge fits the quota. Anything else changes nothing and returns no row, and
the caller goes the ORM's way, which tells every other case apart (already confirmed, not found, missing,
size mismatch, quota no longer fitting).
"""

from __future__ import annotations

import uuid
from functools import cache

from django.db import connections
from django.db.models import Field, GeneratedField
from django.utils import timezone

from activity.models import Event
from documents.models import Document
from quotas.models import Quota
from topics.models import DocumentTopic


@cache
def _fields() -> tuple[Field, ...]:
    """The document's columns an answer reads: all but the search vectors, which the default manager defers."""
    return tuple(field for field in Document._meta.concrete_fields if not isinstance(field, GeneratedField))


@cache
def _statement(alias: str) -> str:
    """The statement, with every table and column named from the models (built once per database).

    1. `upload` locks the document row, if it is still the upload the caller found in storage. Under READ
       COMMITTED a confirm that waited for this lock sees the row as the one ahead of it committed it: no longer
       `uploading`, so no row, and nothing more happens.
    2. `charged` moves the upload's bytes from reserved to used, on the very condition of
       QuotaQuerySet.use_reserved; the quota's CHECK constraint holds it besides.
    3. `confirmed` changes the document only where the quota was charged. It updates the row `upload` locked
       in the same statement, which PostgreSQL allows (its FROM joins `upload`, so the lock comes first).
    4. `logged` writes what activity.services.record writes for a confirm.
    The answer is the confirmed document and whether it has topic assignments.
    """
    ops = connections[alias].ops
    q = ops.quote_name

    def column(model, name: str) -> str:
        return q(model._meta.get_field(name).column)

    d = {name: column(Document, name) for name in ("id", "owner", "title", "state", "key", "size_bytes")}
    d |= {name: column(Document, name) for name in ("deleted_at", "etag", "classify", "enqueued_at", "updated")}
    u = {name: column(Quota, name) for name in ("user", "limit_bytes", "used_bytes", "reserved_bytes")}
    e = {name: column(Event, name) for name in ("owner", "at", "action", "document_id", "document_title", "detail")}
    columns = [column(Document, field.name) for field in _fields()]
    returned = ", ".join(f"document.{name}" for name in columns)
    answer = ", ".join(f"confirmed.{name}" for name in columns)
    title_length = Event._meta.get_field("document_title").max_length
    left = f"GREATEST(quota.{u['reserved_bytes']} - %(size)s, 0)"
    return f"""
WITH upload AS MATERIALIZED (
    SELECT document.{d["id"]}, document.{d["owner"]}
    FROM {q(Document._meta.db_table)} AS document
    WHERE document.{d["id"]} = %(document)s AND document.{d["owner"]} = %(owner)s
        AND document.{d["state"]} = %(uploading)s AND document.{d["key"]} = %(key)s
        AND document.{d["size_bytes"]} = %(size)s AND document.{d["deleted_at"]} IS NULL
    FOR UPDATE
), charged AS (
    UPDATE {q(Quota._meta.db_table)} AS quota
    SET {u["used_bytes"]} = quota.{u["used_bytes"]} + %(size)s, {u["reserved_bytes"]} = {left}
    FROM upload
    WHERE quota.{u["user"]} = upload.{d["owner"]}
        AND quota.{u["used_bytes"]} <= quota.{u["limit_bytes"]} - {left} - %(size)s
    RETURNING quota.{u["user"]}
), confirmed AS (
    UPDATE {q(Document._meta.db_table)} AS document
    SET {d["etag"]} = %(etag)s,
        {d["state"]} = CASE WHEN document.{d["classify"]} THEN %(queued)s ELSE %(skipped)s END,
        {d["enqueued_at"]} = CASE WHEN document.{d["classify"]} THEN %(now)s END,
        {d["updated"]} = %(now)s
    FROM upload, charged
    WHERE document.{d["id"]} = upload.{d["id"]}
    RETURNING {returned}
), logged AS (
    INSERT INTO {q(Event._meta.db_table)}
        ({e["owner"]}, {e["at"]}, {e["action"]}, {e["document_id"]}, {e["document_title"]}, {e["detail"]})
    SELECT confirmed.{d["owner"]}, %(now)s, %(action)s, confirmed.{d["id"]},
        LEFT(confirmed.{d["title"]}, {int(title_length or 255)}), ''
    FROM confirmed
)
SELECT {answer}, EXISTS (
    SELECT 1 FROM {q(DocumentTopic._meta.db_table)} AS assignment
    WHERE assignment.{column(DocumentTopic, "document")} = confirmed.{d["id"]}
) AS has_topics
FROM confirmed
"""


def confirm_in_one_statement(
    alias: str, *, owner_id: int, document_id, key: str, size: int, etag: str
) -> tuple[Document, bool] | None:
    """Confirm the upload `document_id` of `owner_id`, stored at `key` with `size` bytes and `etag`, in one
    statement: the document confirmed and whether it has topics, or None if it was not the usual case (nothing
    was changed then)."""
    try:
        document_id = uuid.UUID(str(document_id))
    except ValueError:
        return None
    now = timezone.now()
    params = {
        "document": document_id,
        "owner": owner_id,
        "uploading": Document.State.UPLOADING.value,
        "key": key,
        "size": size,
        "etag": etag,
        "queued": Document.State.QUEUED.value,
        "skipped": Document.State.SKIPPED.value,
        "now": now,
        "action": Event.Action.CONFIRM.value,
    }
    # A raw query builds the document as the ORM does (its columns' converters, the vectors deferred) and keeps
    # `has_topics` as an attribute.
    document = next(iter(Document.objects.using(alias).raw(_statement(alias), params)), None)
    if document is None:
        return None
    return document, bool(getattr(document, "has_topics"))  # noqa: B009  # an attribute of this query only
