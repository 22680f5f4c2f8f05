"""Admin housekeeping: nothing that shows message contents of anybody's documents (SC4)."""

from django.contrib import admin
from django_dramatiq.models import Task

if admin.site.is_registered(Task):
    admin.site.unregister(Task)
