from django.urls import include, path

from accounts import views

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("delete/", views.account_delete, name="account-delete"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token-revoke"),
    path("", include("django.contrib.auth.urls")),
]
