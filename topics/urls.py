from django.urls import path

from topics import views

app_name = "topics"
urlpatterns = [
    path("", views.topic_list, name="list"),
    path("<int:pk>/", views.topic_edit, name="edit"),
    path("<int:pk>/delete/", views.topic_delete, name="delete"),
]
