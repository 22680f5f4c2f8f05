from django.urls import path

from documents import views

app_name = "documents"
urlpatterns = [
    path("", views.document_list, name="list"),
    path("states/", views.document_states, name="states"),
    path("upload/", views.document_upload, name="upload"),
    path("bulk/", views.documents_bulk, name="bulk"),
    path("trash/", views.trash_list, name="trash"),
    path("trash/restore/", views.trash_restore, name="trash-restore"),
    path("trash/empty/", views.trash_empty, name="trash-empty"),
    path("<uuid:pk>/", views.document_detail, name="detail"),
    path("<uuid:pk>/preview/", views.document_preview, name="preview"),
    path("<uuid:pk>/delete/", views.document_delete, name="delete"),
    path("<uuid:pk>/topics/", views.document_topics, name="topics"),
    path("<uuid:pk>/title/", views.document_title, name="title"),
    path("<uuid:pk>/classify/", views.document_reclassify, name="classify"),
    path("<uuid:pk>/date/", views.document_date, name="date"),
    path("<uuid:pk>/notes/", views.note_add, name="note-add"),
    path("<uuid:pk>/notes/<uuid:note_id>/delete/", views.note_delete, name="note-delete"),
    path("<uuid:pk>/suggestions/<int:topic_id>/accept/", views.document_suggestion, {"accept": True}, name="accept"),
    path("<uuid:pk>/suggestions/<int:topic_id>/reject/", views.document_suggestion, {"accept": False}, name="reject"),
]
