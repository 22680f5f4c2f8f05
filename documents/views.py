"""Server-rendered document pages: the list, the upload page, one document."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from documents import services, storage
from documents.models import Document
from kite.errors import KiteError
from topics.models import Topic


def _own_document(request, pk) -> Document:
    document = Document.objects.owned_by(request.user).filter(pk=pk).prefetch_related("assignments__topic").first()
    if document is None:
        raise Http404
    return document


@login_required
def document_list(request):
    documents = Document.objects.owned_by(request.user).stored().prefetch_related("assignments__topic")
    q = request.GET.get("q", "").strip()
    if q:
        documents = services.document_search(documents, q)
    topic = request.GET.get("topic", "")
    if topic.isdigit():
        documents = documents.filter(assignments__topic_id=int(topic))
    state = request.GET.get("state", "")
    if state in Document.State.values:
        documents = documents.filter(state=state)
    page = Paginator(documents, 25).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "q": q,
        "topic": topic,
        "state": state,
        "topics": Topic.objects.visible_to(request.user),
        "states": Document.State.choices[1:],
    }
    return render(request, "documents/list.html", context)


@login_required
def document_upload(request):
    return render(request, "documents/upload.html")


@login_required
def document_detail(request, pk):
    document = _own_document(request, pk)
    assigned = {a.topic_id for a in document.assignments.all()}
    topics = [(topic, topic.pk in assigned) for topic in Topic.objects.visible_to(request.user)]
    return render(request, "documents/detail.html", {"document": document, "topics": topics})


@login_required
@require_POST
def document_topics(request, pk):
    """T-01: the checked topics become the document's manual topics; unchecked ones are removed."""
    document = _own_document(request, pk)
    ids = [int(value) for value in request.POST.getlist("topics") if value.isdigit()]
    try:
        services.document_update(user=request.user, document=document, topic_ids=ids)
    except KiteError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, "Topics saved.")
    return redirect(document)


@login_required
@require_POST
def document_reclassify(request, pk):
    document = _own_document(request, pk)
    try:
        services.document_reclassify(user=request.user, document_id=document.pk)
    except KiteError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, "Kite will file this document again; your own topic choices stay.")
    return redirect(document)


@login_required
def document_preview(request, pk):
    """D-08: a presigned GET shown inline for safe types, downloaded for any other."""
    document = _own_document(request, pk)
    if document.state == Document.State.UPLOADING:
        raise Http404
    url = storage.presigned_get(
        key=document.key, filename=document.filename, content_type=document.content_type, inline=True
    )
    return redirect(url)


@login_required
@require_POST
def document_delete(request, pk):
    document = _own_document(request, pk)
    try:
        services.document_delete(user=request.user, document_id=document.pk)
    except KiteError as exc:
        messages.error(request, exc.detail)
        return redirect(document)
    messages.success(request, f"Deleted “{document.title}”.")
    return redirect("documents:list")
