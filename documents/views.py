"""Server-rendered document pages: the list, the upload page, one document, and the live states they poll."""

import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.postgres.expressions import ArraySubquery
from django.db import connections
from django.db.models import F, OuterRef
from django.db.models.functions import JSONObject
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from documents import search, services, storage
from documents.models import Document
from kite.errors import KiteError
from topics.models import DocumentTopic, Topic

PAGE_SIZE = 25
# Sort choices of the list page: (value, label, order_by). The default ("") is the best match while searching,
# and the newest first otherwise, so typing a search on a sorted-by-date list still ranks the results.
SORTS: list[tuple[str, str, tuple[str, ...]]] = [
    ("-created", "Newest first", ("-created", "-pk")),
    ("created", "Oldest first", ("created", "pk")),
    ("title", "Title A–Z", ("title", "pk")),
    ("-title", "Title Z–A", ("-title", "-pk")),
    ("-size_bytes", "Largest first", ("-size_bytes", "-pk")),
    ("size_bytes", "Smallest first", ("size_bytes", "pk")),
]
BEST_MATCH = ("-search_rank", "-created", "-pk")
MAX_POLLED_IDS = 100


def _own_document(request, pk) -> Document:
    document = Document.objects.owned_by(request.user).filter(pk=pk).with_topics().first()
    if document is None:
        raise Http404
    return document


def _with_topic_rows(documents):
    """On PostgreSQL each listed document brings its assignments along as an array, saving the list a query;
    elsewhere they are prefetched."""
    if connections[documents.db].vendor != "postgresql":
        return documents.with_topics()
    rows = DocumentTopic.objects.filter(document=OuterRef("pk")).values(
        row=JSONObject(topic=F("topic_id"), source=F("source"), confidence=F("confidence"))
    )
    return documents.annotate(topic_rows=ArraySubquery(rows))


def _attach_topic_chips(documents, topics: list[Topic]) -> None:
    """`document.chips`: its assignments, each with its topic from `topics` (every topic it can be filed under)."""
    by_id = {topic.pk: topic for topic in topics}
    for document in documents:
        if not hasattr(document, "topic_rows"):
            document.chips = list(document.assignments.all())
            continue
        document.chips = sorted(
            (
                DocumentTopic(
                    document=document, topic=by_id[row["topic"]], source=row["source"], confidence=row["confidence"]
                )
                for row in document.topic_rows
                if row["topic"] in by_id
            ),
            key=lambda assignment: assignment.topic.name,
        )


@login_required
def document_list(request):
    """UI-01: search, topic and state filters, sorting and pagination of the person's stored documents.

    Five queries whatever the page holds: session, person with quota, topic choices, count, and the page with
    each document's topics (a search's page query counts its matches too).
    """
    documents = _with_topic_rows(Document.objects.owned_by(request.user).stored())
    q = request.GET.get("q", "").strip()
    ranked = False
    if q:
        documents = services.document_search(request.user, q, documents)
        ranked = "search_rank" in documents.query.annotations
    topics = list(Topic.objects.visible_to(request.user))
    topic = request.GET.get("topic", "")
    if topic.isdigit() and any(t.pk == int(topic) for t in topics):
        documents = documents.filter(assignments__topic_id=int(topic))
    else:
        topic = ""
    state = request.GET.get("state", "")
    if state in Document.State.values:
        documents = documents.filter(state=state)
    else:
        state = ""
    sorts = [(value, label, order) for value, label, order in SORTS if ranked or value != "-created"]
    sorts.insert(0, ("", "Best match", BEST_MATCH) if ranked else ("", "Newest first", SORTS[0][2]))
    orderings = {value: order for value, _, order in sorts}
    sort = request.GET.get("sort", "")
    if sort not in orderings:
        sort = ""
    page = search.SearchPaginator(documents.order_by(*orderings[sort]), PAGE_SIZE).get_page(request.GET.get("page"))
    _attach_topic_chips(page.object_list, topics)
    context = {
        "page": page,
        "q": q,
        "topic": topic,
        "state": state,
        "sort": sort,
        "sorts": [(value, label) for value, label, _ in sorts],
        "topics": topics,
        "states": [(value, label) for value, label in Document.State.choices if value != Document.State.UPLOADING],
        "filtered": bool(q or topic or state),
    }
    return render(request, "documents/list.html", context)


@login_required
@require_GET
@never_cache
def document_states(request):
    """The live state and topics of the listed documents (`?ids=a,b`); ids that are not the person's are ignored."""
    ids = []
    for value in ",".join(request.GET.getlist("ids")).split(",")[:MAX_POLLED_IDS]:
        try:
            ids.append(uuid.UUID(value.strip()))
        except ValueError:
            continue
    documents = Document.objects.owned_by(request.user).filter(pk__in=ids).with_topics()
    return JsonResponse({"documents": [_state_of(document) for document in documents]})


def _state_of(document: Document) -> dict:
    return {
        "id": str(document.pk),
        "state": document.state,
        "label": document.get_state_display(),
        "pending": document.is_pending,
        "error": document.error,
        "topics": [
            {
                "id": assignment.topic_id,
                "name": assignment.topic.name,
                "source": assignment.source,
                "source_label": assignment.get_source_display(),
                "confidence": assignment.confidence,
            }
            for assignment in document.assignments.all()
        ],
    }


@login_required
def document_upload(request):
    """UI-02: the page hashes and posts files straight to storage; the limits let it refuse early."""
    return render(request, "documents/upload.html", {"max_upload_bytes": settings.KITE_MAX_UPLOAD_BYTES})


PREVIEW_KINDS = {"application/pdf": "pdf", "text/plain": "text"}


@login_required
def document_detail(request, pk):
    """UI-03: metadata, inline preview of safe types, topics with source and confidence, and the actions."""
    document = _own_document(request, pk)
    assigned = {a.topic_id for a in document.assignments.all()}
    topics = [(topic, topic.pk in assigned) for topic in Topic.objects.visible_to(request.user)]
    preview = None
    if document.state != Document.State.UPLOADING and document.content_type in storage.SAFE_INLINE_TYPES:
        preview = "image" if document.content_type.startswith("image/") else PREVIEW_KINDS[document.content_type]
    context = {"document": document, "topics": topics, "preview": preview}
    return render(request, "documents/detail.html", context)


@login_required
@require_POST
def document_topics(request, pk):
    """T-01: the checked topics become the document's manual topics; unchecked ones are removed."""
    document = _own_document(request, pk)
    ids = [int(value) for value in request.POST.getlist("topics") if value.isdigit()]
    return _act_and_return(
        request,
        document,
        "Topics saved.",
        lambda: services.document_update(user=request.user, document=document, topic_ids=ids),
    )


@login_required
@require_POST
def document_reclassify(request, pk):
    document = _own_document(request, pk)
    return _act_and_return(
        request,
        document,
        "Kite will file this document again; your own topic choices stay.",
        lambda: services.document_reclassify(user=request.user, document_id=document.pk),
    )


def _act_and_return(request, document: Document, success: str, action):
    """Run a service call for a button on the document page; report its outcome there."""
    try:
        action()
    except KiteError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, success)
    return redirect(document)


@login_required
def document_preview(request, pk):
    """D-08: a presigned GET shown inline for safe types, downloaded for any other; never proxied."""
    document = _own_document(request, pk)
    if document.state == Document.State.UPLOADING:
        raise Http404
    url = storage.presigned_get(
        key=document.key, filename=document.filename, content_type=document.content_type, inline=True
    )
    return redirect(url)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def document_delete(request, pk):
    """STORE-06: GET asks for confirmation (and says what it frees), POST deletes."""
    document = _own_document(request, pk)
    if request.method != "POST":
        return render(request, "documents/delete.html", {"document": document})
    try:
        services.document_delete(user=request.user, document_id=document.pk)
    except KiteError as exc:
        messages.error(request, exc.detail)
        return redirect(document)
    messages.success(request, f"Deleted “{document.title}”.")
    return redirect("documents:list")
