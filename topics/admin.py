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
