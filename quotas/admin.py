from django.contrib import admin

from quotas.models import Quota


@admin.register(Quota)
class QuotaAdmin(admin.ModelAdmin):
    list_display = ["user", "used_bytes", "limit_bytes"]
    search_fields = ["user__username"]
    readonly_fields = ["user", "used_bytes"]

    def has_add_permission(self, request) -> bool:
        # Quotas are created with their user (ACC-02).
        return False
