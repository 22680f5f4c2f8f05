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
    page = Paginator(documents, 25).get_page(request.GET.get("page"))
    return render(request, "documents/list.html", {"page": page, "q": q})


@login_required
def document_upload(request):
    return render(request, "documents/upload.html")


@login_required
def document_detail(request, pk):
    return render(request, "documents/detail.html", {"document": _own_document(request, pk)})


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
