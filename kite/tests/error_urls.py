"""Kite's URLs plus two that fail on purpose, for the error page tests."""

from django.core.exceptions import PermissionDenied
from django.urls import path

from kite.urls import urlpatterns as kite_urlpatterns


def broken(request):
    raise RuntimeError("a fault the error page tests cause on purpose")


def forbidden(request):
    raise PermissionDenied


urlpatterns = [path("test/broken/", broken), path("test/forbidden/", forbidden), *kite_urlpatterns]
