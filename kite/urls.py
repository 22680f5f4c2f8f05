from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from accounts import api as accounts_api
from documents.api import DocumentViewSet, TrashViewSet
from kite import views
from quotas.api import quota_detail
from topics.api import TopicViewSet
from topics.classification import views as classification_views
from topics.classification.api import provider_detail

router = SimpleRouter(use_regex_path=False)
router.register("documents", DocumentViewSet, basename="document")
router.register("topics", TopicViewSet, basename="topic")
router.register("trash", TrashViewSet, basename="trash")

api_patterns = [
    path("auth/token/", accounts_api.token_create, name="token-create"),
    path("auth/tokens/", accounts_api.TokenList.as_view(), name="token-list"),
    path("auth/tokens/<int:pk>/", accounts_api.token_delete, name="token-delete"),
    path("quota/", quota_detail, name="quota"),
    path("provider/", provider_detail, name="provider"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    *router.urls,
]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("accounts/settings/", views.settings_page, name="settings"),
    path("accounts/settings/provider/test/", classification_views.provider_test, name="provider-test"),
    path("accounts/", include("accounts.urls")),
    path("documents/", include("documents.urls")),
    path("topics/", include("topics.urls")),
    path("api/", include((api_patterns, "api"))),
    # Ahead of the admin's own route of the same shape, which answers 500 for a malformed UUID.
    path(
        "admin/r/<path:content_type_id>/<path:object_id>/",
        admin.site.admin_view(views.view_on_site),
        name="admin-view-on-site",
    ),
    path("admin/", admin.site.urls),
]

handler404 = "kite.api.not_found"
