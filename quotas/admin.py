from django import forms
from django.contrib import admin

from quotas.models import Quota


class QuotaForm(forms.ModelForm):
    class Meta:
        model = Quota
        fields = ["limit_bytes"]

    def clean_limit_bytes(self) -> int:
        limit = self.cleaned_data["limit_bytes"]
        if limit < self.instance.used_bytes:
            raise forms.ValidationError(
                f"This person already stores {self.instance.used_bytes} bytes; the limit cannot be lower."
            )
        return limit


@admin.register(Quota)
class QuotaAdmin(admin.ModelAdmin):
    form = QuotaForm
    list_display = ["user", "used_bytes", "limit_bytes"]
    search_fields = ["user__username"]
    readonly_fields = ["user", "used_bytes"]

    def has_add_permission(self, request) -> bool:
        # Quotas are created with their user (ACC-02).
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # ...and go only with their user: a person without a quota could not upload (ACC-02).
        return False
