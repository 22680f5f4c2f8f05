"""Server-rendered document pages: the list and its bulk actions, the upload page, one document with its notes,
the trash, and the live states they poll."""

import uuid
from dataclasses import dataclass
from datetime import date

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.postgres.expressions import ArraySubquery
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import F, OuterRef
from django.db.models.functions import JSONObject
from django.http import Http404, HttpResponseRedirect, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from documents import bulk, notes, search, selectors, services, storage, trash
from documents.forms import NoteForm, TitleForm
from documents.models import Document
from kite.errors import InvalidInput, KiteError
from kite.parsing import MAX_ID, is_whole_number
from topics.models import DocumentTopic, Topic

PAGE_SIZE = 25
PAGE_SIZES = (25, 50, 100)
# Column headers that sort: the column, its ordering ascending, descending, and which comes first on a click.
SORTABLE = {
    "title": ("title", "-title", "title"),
    "size": ("size_bytes", "-size_bytes", "-size_bytes"),
    "date": ("date", "-date", "-date"),
    "added": ("created", "-created", "-created"),
}


def _page_size(value: str | None) -> int:
    return int(value) if value and value.isdigit() and int(value) in PAGE_SIZES else PAGE_SIZE


def _sort_links(ordering: str) -> dict[str, dict[str, str]]:
    """Per sortable column: the ordering a click on its header asks for, and its aria-sort state now."""
    current = ordering or "-created"
    links = {}
    for column, (ascending, descending, first) in SORTABLE.items():
        if current == ascending:
            links[column] = {"next": descending, "sort": "ascending"}
        elif current == descending:
            links[column] = {"next": ascending, "sort": "descending"}
        else:
            links[column] = {"next": first, "sort": ""}
    return links


MAX_POLLED_IDS = 100


def _own_document(request, pk) -> Document:
    document = Document.objects.owned_by(request.user).filter(pk=pk).with_topics().first()
    if document is None:
        raise Http404
    return document


@dataclass(frozen=True)
class ListedTopic:
    """A topic as a list row shows it: what `documents/_topic.html` needs of an assignment."""

    topic: Topic
    source: str
    confidence: float | None


def _with_topic_rows(documents):
    """On PostgreSQL each listed document brings its assignments along as an array (`topic_rows`), saving the
    list a query; elsewhere they are prefetched."""
    if connections[documents.db].vendor != "postgresql":
        return documents.with_topics()
    rows = DocumentTopic.objects.filter(document=OuterRef("pk")).values(
        row=JSONObject(topic=F("topic_id"), source=F("source"), confidence=F("confidence"))
    )
    return documents.annotate(topic_rows=ArraySubquery(rows))


def _listed_topics(document, topics_by_id: dict[int, Topic]) -> list[ListedTopic]:
    """The document's topics by name, from its `topic_rows` and the topics the page has already read."""
    if not hasattr(document, "topic_rows"):
        return [ListedTopic(a.topic, a.source, a.confidence) for a in document.assignments.all()]
    listed = [
        ListedTopic(topics_by_id[row["topic"]], row["source"], row["confidence"])
        for row in document.topic_rows
        if row["topic"] in topics_by_id
    ]
    return sorted(listed, key=lambda item: item.topic.name)


@login_required
def document_list(request):
    """UI-01: search, topic and state filters, ordering and pagination of the person's stored documents.

    Five queries whatever the page holds: session, person with quota, topic choices, count, and the page with
    each document's topics (a search counts its matches while it ranks them, then reads the listed rows).
    """
    documents = _with_topic_rows(Document.objects.owned_by(request.user).stored())
    topics = list(Topic.objects.visible_to(request.user))
    params = request.GET.copy()
    if "sort" in params and "ordering" not in params:
        params.setlist("ordering", params.pop("sort"))  # the name this page used before: old bookmarks still sort
    known = {str(topic.pk) for topic in topics} | {selectors.NO_TOPIC}
    if "topic" in params:
        # Topics not theirs are left out: the list is filtered by what the topic boxes then show ticked.
        chosen = list(dict.fromkeys(value for value in params.getlist("topic") if value in known))
        if len(chosen) > selectors.MAX_TOPICS_FILTERED:
            # Dropping the filter would list everything (and "all matching" would act on it): keep the first ones.
            chosen = chosen[: selectors.MAX_TOPICS_FILTERED]
            messages.warning(
                request, f"Filtered by the first {selectors.MAX_TOPICS_FILTERED} topics chosen: no more at once."
            )
        params.setlist("topic", chosen)
        if not params.getlist("topic"):
            params.pop("topic")
    filterset = selectors.document_filter(params, documents, request, lenient=True)
    filters = filterset.form.cleaned_data if filterset.is_valid() else {}
    page_size = _page_size(request.GET.get("page_size"))
    page = search.SearchPaginator(filterset.qs, page_size).get_page(request.GET.get("page"))
    topics_by_id = {topic.pk: topic for topic in topics}
    rows = [(document, _listed_topics(document, topics_by_id)) for document in page.object_list]
    default = "Best match" if filterset.searching else selectors.ORDERING_LABELS[selectors.DEFAULT_ORDERING]
    orderings = [("", default)] + [
        (value, label)
        for value, label in selectors.ORDERING_LABELS.items()
        if filterset.searching or value != selectors.DEFAULT_ORDERING
    ]
    context = {
        "page": page,
        "rows": rows,
        "q": filters.get("q") or "",
        "chosen_topics": {str(value) for value in filters.get("topic") or []},
        "no_topic": selectors.NO_TOPIC,
        "page_size": page_size,
        "view": "cards" if request.GET.get("view") == "cards" else "table",
        "page_sizes": PAGE_SIZES,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "sort_links": _sort_links(filters.get("ordering") or ""),
        "state": filters.get("state") or "",
        "date_after": filters["date_after"].isoformat() if filters.get("date_after") else "",
        "date_before": filters["date_before"].isoformat() if filters.get("date_before") else "",
        "ordering": filters.get("ordering") or "",
        "orderings": orderings,
        "topics": topics,
        "states": [(value, label) for value, label in Document.State.choices if value != Document.State.UPLOADING],
        "filtered": any(filters.get(name) for name in ("q", "topic", "state", "date_after", "date_before")),
        # The action bar sends the list's search and filters along: "all matching" is resolved from them.
        "bulk_filters": _bulk_filters(filters),
        "bulk_actions": bulk.BulkAction.choices,
    }
    return render(request, "documents/list.html", context)


@login_required
@require_GET
@never_cache
def document_states(request):
    """The live state and topics of the listed documents (`?ids=a,b`), as the fragments the pages show;
    `detailed=1` renders them as the document page does. Ids that are not the person's are ignored."""
    ids = []
    for value in ",".join(request.GET.getlist("ids")).split(",")[:MAX_POLLED_IDS]:
        try:
            ids.append(uuid.UUID(value.strip()))
        except ValueError:
            continue
    detailed = request.GET.get("detailed") == "1"
    documents = Document.objects.owned_by(request.user).filter(pk__in=ids).with_topics()
    return JsonResponse({"documents": [_state_of(document, detailed) for document in documents]})


def _state_of(document: Document, detailed: bool) -> dict:
    """What a page needs to redraw a document in place: its state, and the server's own HTML for its badge and
    topics (the scripts swap these in rather than building markup of their own)."""
    assignments = list(document.assignments.all())
    context = {"document": document, "assignments": assignments, "detailed": detailed}
    return {
        "id": str(document.pk),
        "state": document.state,
        "pending": document.is_pending,
        "error": document.error,
        "topic_ids": [assignment.topic_id for assignment in assignments if not assignment.is_suggestion],
        "state_html": render_to_string("documents/_state.html", context),
        "topics_html": render_to_string("documents/_topics.html", context),
    }


@login_required
def document_upload(request):
    """UI-02, UP-01: the page hashes and sends files straight to storage (large ones in parts); the limits let it
    refuse early."""
    recent = selectors.recent_uploads(request.user)
    context = {
        "max_upload_bytes": settings.KITE_MAX_UPLOAD_BYTES,
        "multipart_threshold": settings.KITE_MULTIPART_THRESHOLD,
        "part_size": settings.KITE_MULTIPART_PART_SIZE,
        "recent": recent,
        "recent_failed": sum(document.state == Document.State.FAILED for document in recent),
    }
    return render(request, "documents/upload.html", context)


class DocumentDateForm(forms.Form):
    date = forms.DateField(required=False)


PREVIEW_KINDS = {"application/pdf": "pdf", "text/plain": "text"}


@login_required
def document_detail(request, pk):
    """UI-03: metadata, inline preview of safe types, topics with source and confidence, and the actions."""
    return _render_detail(request, _own_document(request, pk))


def _render_detail(request, document: Document, title_form: TitleForm | None = None, status: int = 200):
    assigned = {a.topic_id for a in document.assignments.all() if not a.is_suggestion}
    topics = [(topic, topic.pk in assigned) for topic in Topic.objects.visible_to(request.user)]
    preview = None
    if document.state != Document.State.UPLOADING and document.content_type in storage.SAFE_INLINE_TYPES:
        preview = "image" if document.content_type.startswith("image/") else PREVIEW_KINDS[document.content_type]
    title_form = title_form or TitleForm(initial={"title": document.title})
    context = {
        "document": document,
        "topics": topics,
        "preview": preview,
        "title_form": title_form,
        "notes": document.notes.all(),
        "note_form": NoteForm(),
    }
    return render(request, "documents/detail.html", context, status=status)


@login_required
@require_POST
def document_title(request, pk):
    """Rename the document; a blank or overlong title shows the page again with the error, and changes nothing."""
    document = _own_document(request, pk)
    form = TitleForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, document, form, status=400)
    services.document_update(user=request.user, document=document, title=form.cleaned_data["title"])
    messages.success(request, "Title saved.")
    return redirect(document)


@login_required
@require_POST
def note_add(request, pk):
    """LIFE-02: add a note from the document page."""
    document = _own_document(request, pk)
    form = NoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(error) for error in form.errors["text"]))
        return redirect(document)
    return _run_and_report(
        request,
        document,
        "Note added.",
        lambda: notes.note_add(user=request.user, document_id=document.pk, text=form.cleaned_data["text"]),
    )


@login_required
@require_POST
def note_delete(request, pk, note_id):
    document = _own_document(request, pk)
    if not document.notes.filter(pk=note_id).exists():
        raise Http404
    return _run_and_report(
        request,
        document,
        "Note deleted.",
        lambda: notes.note_delete(user=request.user, document_id=document.pk, note_id=note_id),
    )


@login_required
@require_POST
def document_topics(request, pk):
    """T-01: the checked topics become the document's manual topics; unchecked ones are removed."""
    document = _own_document(request, pk)
    ids = [int(value) for value in request.POST.getlist("topics") if is_whole_number(value) and int(value) <= MAX_ID]
    return _run_and_report(
        request,
        document,
        "Topics saved.",
        lambda: services.document_update(user=request.user, document=document, topic_ids=ids),
    )


@login_required
@require_POST
def document_date(request, pk):
    """The document's own date, set by its owner (an empty field clears it); a later reading keeps it."""
    document = _own_document(request, pk)
    form = DocumentDateForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the date as a day, month and year, or leave the field empty to clear it.")
        return redirect(document)
    return _run_and_report(
        request,
        document,
        "Date saved." if form.cleaned_data["date"] else "Date cleared.",
        lambda: services.document_update(user=request.user, document=document, date=form.cleaned_data["date"]),
    )


@login_required
@require_POST
def document_reclassify(request, pk):
    document = _own_document(request, pk)
    return _run_and_report(
        request,
        document,
        "Kite will file this document again; your own topic choices stay.",
        lambda: services.document_reclassify(user=request.user, document_id=document.pk),
    )


@login_required
@require_POST
def document_suggestion(request, pk, topic_id, accept):
    """A suggested topic accepted (it becomes manual) or rejected (and not suggested again); back to the page the
    buttons were on, the document's or the list."""
    document = _own_document(request, pk)
    if topic_id > MAX_ID:
        raise Http404
    service = services.suggestion_accept if accept else services.suggestion_reject
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        back = document.get_absolute_url()
    try:
        assignment = service(user=request.user, document=document, topic_id=topic_id)
    except KiteError as exc:
        messages.error(request, exc.detail)
    else:
        done = "filed under" if accept else "will not be suggested again for"
        messages.success(request, f"“{document.title}” {done} “{assignment.topic.name}”.")
    return redirect(back)


def _run_and_report(request, document: Document, success: str, action):
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
    """LIFE-01, STORE-06: GET asks for confirmation (and says what it frees), POST moves the document to the
    trash."""
    document = _own_document(request, pk)
    if request.method != "POST":
        context = {"document": document, "trash_days": settings.KITE_TRASH_DAYS}
        return render(request, "documents/delete.html", context)
    try:
        trash.document_trash(user=request.user, document_id=document.pk)
    except KiteError as exc:
        messages.error(request, exc.detail)
        return redirect(document)
    if document.state == Document.State.UPLOADING:
        messages.success(request, f"Deleted the unfinished upload “{document.title}”.")
    else:
        messages.success(request, f"Moved “{document.title}” to the trash.")
    return redirect("documents:list")


def _bulk_filters(filters: dict) -> list[tuple[str, str]]:
    """The list's filters as the action bar's hidden fields: one per value (topics may be several)."""
    fields = []
    for name in (*BULK_FILTERS, "ordering"):
        value = filters.get(name)
        for each in value if isinstance(value, list) else [value]:
            if each:
                fields.append((name, _as_param(each)))
    return fields


def _as_param(value) -> str:
    """A cleaned filter value as the list's address spells it (dates as YYYY-MM-DD, never a localised form)."""
    return value.isoformat() if isinstance(value, date) else str(value)


BULK_FILTERS = ("q", "topic", "state", "date_after", "date_before")


@login_required
@require_POST
def documents_bulk(request):
    """LIFE-03: the list's action bar. It applies to the checked documents, or with `scope=matching` to every
    document the list's search and filters (sent along) match, resolved here; then back to the same list."""
    params = request.POST
    back = redirect_back_to_list(params)
    try:
        ids = _bulk_ids(request)
        topic_ids = [int(v) for v in params.getlist("topic_ids") if is_whole_number(v) and int(v) <= MAX_ID]
        count = bulk.documents_bulk(user=request.user, ids=ids, action=params.get("action", ""), topic_ids=topic_ids)
    except KiteError as exc:
        if exc.status == 404:
            raise Http404 from None  # SEC-04: as for any document that is not theirs
        messages.error(request, exc.detail)
    else:
        label = bulk.BulkAction(params["action"]).label
        messages.success(request, f"{label}: done for {count} document{'s' if count != 1 else ''}.")
    return back


def _bulk_ids(request) -> list:
    if request.POST.get("scope") == "matching":
        documents = Document.objects.owned_by(request.user).stored()
        # Strict, unlike the list page: a value dropped there narrows nothing, here it would widen the action to
        # every document (the page's own form sends only the values it listed by).
        filterset = selectors.document_filter(request.POST, documents, request, lenient=False)
        if not filterset.is_valid():
            raise InvalidInput("The list's filters are not valid: nothing was changed. Reload the list and try again.")
        ids = list(filterset.qs.order_by().values_list("pk", flat=True)[: bulk.MAX_MATCHING + 1])
        if len(ids) > bulk.MAX_MATCHING:
            raise InvalidInput(f"That is more than {bulk.MAX_MATCHING} documents at once: narrow the search.")
        if not ids:
            raise InvalidInput("No document matches.")
        return ids
    ids = []
    for value in request.POST.getlist("ids")[: bulk.MAX_MATCHING]:
        try:
            ids.append(uuid.UUID(value))
        except ValueError:
            raise Http404 from None
    if not ids:
        raise InvalidInput("Choose documents first: tick them in the list.")
    return ids


def redirect_back_to_list(params):
    """The list as it was: the same search and filters (the page number may no longer exist)."""
    kept = QueryDict(mutable=True)
    for name in (*BULK_FILTERS, "ordering"):
        # A value no list takes (a search is 500 characters at most) is not carried into the address.
        values = [value for value in params.getlist(name)[: selectors.MAX_TOPICS_FILTERED] if 0 < len(value) <= 1000]
        if values:
            kept.setlist(name, values)
    url = reverse("documents:list")
    return HttpResponseRedirect(f"{url}?{kept.urlencode()}" if kept else url)


@login_required
def trash_list(request):
    """LIFE-01: the person's trash, most recently trashed first, with restore and delete-for-good."""
    documents = Document.objects.in_trash_of(request.user).defer("text").order_by("-deleted_at", "-pk")
    page = Paginator(documents, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "trash_days": settings.KITE_TRASH_DAYS}
    return render(request, "documents/trash.html", context)


def _trash_ids(request) -> list:
    ids = []
    for value in request.POST.getlist("ids")[: bulk.MAX_IDS]:
        try:
            ids.append(uuid.UUID(value))
        except ValueError:
            raise Http404 from None
    return ids


@login_required
@require_POST
def trash_restore(request):
    ids = _trash_ids(request)
    if not ids:
        messages.error(request, "Choose a document to restore.")
        return redirect("documents:trash")
    try:
        count = trash.trash_restore(user=request.user, ids=ids)
    except KiteError as exc:
        if exc.status == 404:
            raise Http404 from None
        messages.error(request, exc.detail)
    else:
        messages.success(request, f"Restored {count} document{'s' if count != 1 else ''}.")
    return redirect("documents:trash")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def trash_empty(request):
    """GET asks for confirmation (of the whole trash, or of `ids`); POST deletes them and their files for good."""
    source = request.POST if request.method == "POST" else request.GET
    ids = []
    for value in source.getlist("ids")[: bulk.MAX_IDS]:
        try:
            ids.append(uuid.UUID(value))
        except ValueError:
            raise Http404 from None
    documents = Document.objects.in_trash_of(request.user).defer("text")
    if ids:
        documents = documents.filter(pk__in=ids)
    count = documents.count()
    if ids and count != len(set(ids)):
        raise Http404
    if request.method != "POST":
        only = documents.first() if count == 1 else None
        return render(request, "documents/trash_empty.html", {"count": count, "only": only, "ids": ids})
    try:
        count = trash.trash_empty(user=request.user, ids=ids or None)
    except KiteError as exc:
        if exc.status == 404:
            raise Http404 from None
        messages.error(request, exc.detail)
    else:
        messages.success(request, f"Deleted {count} document{'s' if count != 1 else ''} for good.")
    return redirect("documents:trash")
