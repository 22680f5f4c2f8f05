from django.urls import path

from shares import views

app_name = "shares"
urlpatterns = [
    path("s/<str:token>/", views.share_page, name="public"),
    path("s/<str:token>/download/", views.share_download, name="download"),
    path("documents/<uuid:pk>/share/", views.document_share, name="document-share"),
    path("shares/<uuid:pk>/revoke/", views.share_revoke, name="revoke"),
]
