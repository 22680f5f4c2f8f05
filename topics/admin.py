"""Staff manage system topics here; people's own topics are theirs alone (SC4)."""

from django.contrib import admin

from topics.models import SystemTopic


@admin.register(SystemTopic)
class SystemTopicAdmin(admin.ModelAdmin):
    list_display = ["name", "description"]
    search_fields = ["name"]
    fields = ["name", "description"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(owner__isnull=True)

    def save_model(self, request, obj, form, change) -> None:
        obj.owner = None
        super().save_model(request, obj, form, change)

    def get_deleted_objects(self, objs, request):
        """Deleting a system topic removes it from people's documents: say how many, never which ones (SC4)."""
        _, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        summary = []
        for topic in objs:
            filed = topic.assignments.filed().count()
            summary.append(
                f"{topic.name}: filed on {filed} document{'s' if filed != 1 else ''}, which keep their files"
            )
        return summary, model_count, perms_needed, [f"{len(protected)} protected object(s)"] if protected else []
