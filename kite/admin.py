"""The admin's cross-app pages: people with their quotas and how much they store — never what they store (SC4)."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.db.models import Count, Q, Sum
from django_dramatiq.models import Task

from accounts.models import User
from documents.models import Document
from kite.templatetags.sizes import filesize
from quotas.models import Quota

admin.site.site_header = admin.site.site_title = "Kite administration"
admin.site.index_title = "Users, quotas and system topics"

# Task rows hold actor arguments, which name documents: not for staff eyes.
if admin.site.is_registered(Task):
    admin.site.unregister(Task)

# What the quota is charged for: confirmed documents outside the trash.
STORED = ~Q(documents__state=Document.State.UPLOADING) & Q(documents__deleted_at__isnull=True)


@admin.register(User)
class KiteUserAdmin(UserAdmin):
    list_display = ["username", "email", "is_staff", "is_active", "date_joined", "document_count", "stored_bytes"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                document_count=Count("documents", filter=STORED),
                stored_bytes=Sum("documents__size_bytes", filter=STORED),
            )
        )

    @admin.display(description="documents", ordering="document_count")
    def document_count(self, user) -> int:
        return user.document_count

    @admin.display(description="stored bytes", ordering="stored_bytes")
    def stored_bytes(self, user) -> int:
        return user.stored_bytes or 0

    def get_deleted_objects(self, objs, request):
        """What deleting these people takes with them, as counts and sizes only.

        Django's confirmation page (for one person and for the bulk action) lists every related row by name:
        each document's title, topic name and token. Staff must never read those (SC4).
        """
        _, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        # A quota cannot be deleted on its own, but it goes with its person.
        perms_needed.discard(Quota._meta.verbose_name)
        summary = []
        for user in objs:
            stored = Document.objects.filter(owner=user).stored().aggregate(count=Count("pk"), size=Sum("size_bytes"))
            trashed = Document.objects.in_trash_of(user).count()
            topics = user.topics.count()
            tokens = user.api_tokens.count()
            summary.append(
                f"{user.username}: {stored['count']} document{'s' if stored['count'] != 1 else ''} "
                f"({filesize(stored['size'] or 0)}){f' and {trashed} in the trash' if trashed else ''}, "
                f"{topics} topic{'s' if topics != 1 else ''}, "
                f"{tokens} API token{'s' if tokens != 1 else ''}"
            )
        return summary, model_count, perms_needed, [f"{len(protected)} protected object(s)"] if protected else []
