"""The Share section of the document page, drawn by this app so that documents never needs to know of links."""

from django import template

from documents.models import Document
from shares.forms import ShareForm
from shares.models import ShareLink

register = template.Library()


@register.inclusion_tag("shares/_section.html", takes_context=True)
def share_section(context, document):
    """The document's active links and the form that makes one (LIFE-04); a stored document only."""
    stored = document.state != Document.State.UPLOADING and document.deleted_at is None
    links = list(ShareLink.objects.active().filter(document=document)) if stored else []
    return {
        "document": document,
        "stored": stored,
        "links": links,
        "form": ShareForm(),
        "csrf_token": context.get("csrf_token"),
    }
