"""Share link workflows (LIFE-04): making and revoking links, and what opening one does.

A link opens only while it is neither expired nor revoked and its document is stored and not in the trash. A
trashed document's links answer 404 while it is there and open again if it is restored (unless they expired or
were revoked meanwhile): the trash hides a document, it does not end what its owner chose to share.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from activity.services import Action, record
from documents import storage
from documents.models import Document
from kite.errors import NotFound, UploadMissing
from shares.models import ShareLink, hash_share_token

DEFAULT_DAYS = 7
MAX_DAYS = 365
# A link that no longer opens (expired or revoked) is kept this long, then deleted by the scheduler: it can never
# open again, and what happened to it stays in the activity log.
ENDED_KEPT_DAYS = 30


def _shareable_document(user: User, document_id) -> Document:
    """The person's document, stored and not in the trash; anyone else's (or none) is NotFound."""
    document = Document.objects.owned_by(user).filter(pk=document_id).first()
    if document is None:
        raise NotFound()
    if document.state == Document.State.UPLOADING:
        raise UploadMissing("Only a stored document can be shared: finish its upload first.")
    return document


def share_create(
    *, user: User, document_id, expires_in_days: int = DEFAULT_DAYS, password: str = ""
) -> tuple[ShareLink, str]:
    """A new link to the person's document; returns the link and its token, which is shown once and never
    stored (only its hash is)."""
    document = _shareable_document(user, document_id)
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        link = ShareLink.objects.create(
            document=document,
            created_by=user,
            token_hash=hash_share_token(token),
            password=make_password(password) if password else "",
            expires_at=timezone.now() + timedelta(days=expires_in_days),
        )
        protected = " with a password" if password else ""
        record(user, Action.SHARE_CREATED, document=document, detail=f"For {expires_in_days} days{protected}")
    return link, token


def shares_of(*, user: User, document_id) -> list[ShareLink]:
    """The active links of the person's document, newest first; NotFound for anyone else's."""
    if not Document.objects.owned_by(user).filter(pk=document_id).exists():
        raise NotFound()
    return list(ShareLink.objects.active().filter(document_id=document_id))


@transaction.atomic
def share_revoke(*, user: User, share_id) -> ShareLink:
    """End a link of the person's at once; a link already revoked, or anyone else's, is NotFound."""
    link = (
        ShareLink.objects.select_for_update(of=("self",))
        .select_related("document")
        .filter(pk=share_id, document__owner=user, revoked_at__isnull=True)
        .first()
    )
    if link is None:
        raise NotFound()
    link.revoked_at = timezone.now()
    link.save(update_fields=["revoked_at"])
    record(user, Action.SHARE_REVOKED, document=link.document)
    return link


def share_find(token: str) -> ShareLink | None:
    """The link this token opens, or None: unknown, expired, revoked, and a document gone, in the trash or not
    stored all look alike, decided by one indexed lookup of the token's hash."""
    return (
        ShareLink.objects.active()
        .select_related("document")
        .filter(token_hash=hash_share_token(token), document__deleted_at__isnull=True)
        .exclude(document__state=Document.State.UPLOADING)
        .first()
    )


def share_password_matches(link: ShareLink, password: str) -> bool:
    return link.has_password and check_password(password, link.password)


def share_open(link: ShareLink) -> str:
    """Count an open of the link (one conditional UPDATE) and log it for the owner; returns a short presigned
    GET of the file as an attachment."""
    document = link.document
    url = storage.presigned_get(key=document.key, filename=document.filename, content_type=document.content_type)
    with transaction.atomic():
        ShareLink.objects.filter(pk=link.pk).update(opens=F("opens") + 1, last_opened_at=timezone.now())
        record(document.owner_id, Action.SHARE_OPENED, document=document)
    return url


def shares_prune() -> int:
    """Delete the links that stopped opening (expired or revoked) more than ENDED_KEPT_DAYS ago; how many."""
    before = timezone.now() - timedelta(days=ENDED_KEPT_DAYS)
    ended = ShareLink.objects.filter(expires_at__lt=before) | ShareLink.objects.filter(revoked_at__lt=before)
    deleted, _ = ended.delete()
    return deleted
