"""Topic pages: the list with document counts, and create/edit/delete of one's own topics (UI-04, D-17)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import OuterRef
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from kite.errors import KiteError
from topics import services
from topics.api import count_of, topics_for
from topics.forms import TopicForm
from topics.models import DocumentTopic, Topic


def _own_topic(request, pk) -> Topic:
    topic = Topic.objects.filter(owner=request.user, pk=pk).first()
    if topic is None:
        raise Http404
    return topic


@login_required
def topic_list(request):
    form = TopicForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.topic_create(user=request.user, **form.cleaned_data)
        except KiteError as exc:
            form.add_error("name", exc.detail)
        else:
            messages.success(request, f"Topic “{form.cleaned_data['name']}” created.")
            return redirect("topics:list")
    # What the built-in classifier learns from: the person's documents with text filed under each topic by hand,
    # outside the trash (as topics.classification.services._manual_examples), counted from the topic's filing index
    # and only those documents' rows.
    taught = DocumentTopic.objects.filter(
        topic=OuterRef("pk"), document_owner=request.user, document_live=True, source=DocumentTopic.Source.MANUAL
    ).exclude(document__text="")
    topics = topics_for(request.user, stored=True).annotate(learnt_from=count_of(taught)).order_by("owner", "name")
    return render(request, "topics/list.html", {"topics": topics, "form": form})


@login_required
def topic_edit(request, pk):
    topic = _own_topic(request, pk)
    form = TopicForm(request.POST or None, initial={"name": topic.name, "description": topic.description})
    if request.method == "POST" and form.is_valid():
        try:
            services.topic_update(user=request.user, topic=topic, **form.cleaned_data)
        except KiteError as exc:
            form.add_error("name", exc.detail)
        else:
            messages.success(request, "Topic saved.")
            return redirect("topics:list")
    return render(request, "topics/edit.html", {"topic": topic, "form": form})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def topic_delete(request, pk):
    """D-17: GET asks for confirmation (and says how many documents are filed under the topic), POST deletes."""
    topic = _own_topic(request, pk)
    if request.method != "POST":
        filed_here = DocumentTopic.objects.filed_live(topic_id=topic.pk, owner=request.user)
        filed = filed_here.without_uploads_of(request.user).count()  # as the list page counts them
        return render(request, "topics/delete.html", {"topic": topic, "filed": filed})
    services.topic_delete(user=request.user, topic=topic)
    messages.success(request, f"Topic “{topic.name}” deleted.")
    return redirect("topics:list")
