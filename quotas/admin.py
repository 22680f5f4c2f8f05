from django import forms
from django.contrib import admin

from quotas.models import Quota


class QuotaForm(forms.ModelForm):
    class Meta:
        model = Quota
        fields = ["limit_bytes"]

    def clean_limit_bytes(self) -> int:
        limit = self.cleaned_data["limit_bytes"]
        # The admin saves inside a transaction: the lock holds uploads and confirms off this row until the new
        # limit is written, so the check below still holds when it is.
        current = Quota.objects.select_for_update().get(pk=self.instance.pk)
        if limit < current.used_bytes:
            raise forms.ValidationError(
                f"This person already stores {current.used_bytes} bytes; the limit cannot be lower."
            )
        if limit < current.used_bytes + current.reserved_bytes:
            raise forms.ValidationError(
                f"This person stores {current.used_bytes} bytes and uploads in flight hold {current.reserved_bytes} "
                "more; the limit cannot be lower than both together until those uploads finish or are purged."
            )
        return limit


@admin.register(Quota)
class QuotaAdmin(admin.ModelAdmin):
    form = QuotaForm
    list_display = ["user", "used_bytes", "reserved_bytes", "limit_bytes"]
    search_fields = ["user__username"]
    readonly_fields = ["user", "used_bytes", "reserved_bytes"]

    def save_model(self, request, obj, form, change) -> None:
        # Only the limit: the counters belong to conditional UPDATEs, never to a form's copy of them.
        obj.save(update_fields=["limit_bytes"])

    def has_add_permission(self, request) -> bool:
        # Quotas are created with their user (ACC-02).
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # ...and go only with their user: a person without a quota could not upload (ACC-02).
        return False
