import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib import admin
from django.db import models

from kite.templatetags.sizes import filesize
from quotas.models import Quota

# Units as Kite shows sizes (Django's filesizeformat): each 1024 times the one before.
UNITS = {"": 1, "b": 1, "byte": 1, "bytes": 1, "kb": 1024, "mb": 1024**2, "gb": 1024**3, "tb": 1024**4}
UNITS.update({"kib": 1024, "mib": 1024**2, "gib": 1024**3, "tib": 1024**4})
SIZE = re.compile(r"^\s*(?P<number>\d+(?:[.,]\d+)?)\s*(?P<unit>[a-z]*)\s*$", re.IGNORECASE)
MAX_BYTES = models.BigIntegerField.MAX_BIGINT


def parse_size(text: str) -> int:
    """Bytes from "5 GB", "500 MB", "1.5 GB" or a plain number of bytes; ValueError for anything else."""
    match = SIZE.match(text)
    unit = UNITS.get(match["unit"].lower()) if match else None
    if match is None or unit is None:
        raise ValueError(text)
    try:
        number = Decimal(match["number"].replace(",", "."))
    except InvalidOperation:
        raise ValueError(text) from None
    return int(number * unit)


def format_size(nbytes: int) -> str:
    """The largest unit that shows `nbytes` exactly ("5 GB", "1536 MB"), so saving the form unchanged keeps it."""
    for unit in ("TB", "GB", "MB", "KB"):
        if nbytes and nbytes % UNITS[unit.lower()] == 0:
            return f"{nbytes // UNITS[unit.lower()]} {unit}"
    return f"{nbytes} bytes"


class ByteSizeField(forms.CharField):
    """A number of bytes typed as people write sizes; stored as the integer."""

    default_error_messages = {
        "invalid": "Enter a size such as 500 MB or 5 GB (or a number of bytes).",
        "too_large": "That is more than any limit can be: enter a smaller size.",
    }

    def prepare_value(self, value):
        return format_size(value) if isinstance(value, int) else value

    def to_python(self, value) -> int | None:  # type: ignore[override]
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        try:
            nbytes = parse_size(value)
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
        if nbytes > MAX_BYTES:
            raise forms.ValidationError(self.error_messages["too_large"], code="too_large")
        return nbytes

    def has_changed(self, initial, data) -> bool:
        try:
            return self.to_python(data) != initial
        except forms.ValidationError:
            return True


class QuotaForm(forms.ModelForm):
    limit_bytes = ByteSizeField(
        label="Limit",
        help_text="For example 500 MB or 5 GB; 1 GB is 1024 MB, as Kite shows sizes. A plain number is bytes.",
    )

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
                f"This person already stores {_exact(current.used_bytes)}; the limit cannot be lower."
            )
        if limit < current.used_bytes + current.reserved_bytes:
            raise forms.ValidationError(
                f"This person stores {_exact(current.used_bytes)} and uploads in flight hold "
                f"{_exact(current.reserved_bytes)} more; the limit cannot be lower than both together until those "
                "uploads finish or are purged."
            )
        return limit


def _exact(nbytes: int) -> str:
    shown = filesize(nbytes)
    return shown if nbytes < 1024 else f"{shown} ({nbytes} bytes)"


@admin.register(Quota)
class QuotaAdmin(admin.ModelAdmin):
    form = QuotaForm
    list_display = ["user", "used", "reserved", "limit"]
    search_fields = ["user__username"]
    readonly_fields = ["user", "used", "reserved"]
    fields = ["user", "used", "reserved", "limit_bytes"]

    @admin.display(description="used", ordering="used_bytes")
    def used(self, quota: Quota) -> str:
        return _exact(quota.used_bytes)

    @admin.display(description="reserved for uploads", ordering="reserved_bytes")
    def reserved(self, quota: Quota) -> str:
        return _exact(quota.reserved_bytes)

    @admin.display(description="limit", ordering="limit_bytes")
    def limit(self, quota: Quota) -> str:
        return filesize(quota.limit_bytes)

    def save_model(self, request, obj, form, change) -> None:
        # Only the limit: the counters belong to conditional UPDATEs, never to a form's copy of them.
        obj.save(update_fields=["limit_bytes"])

    def has_add_permission(self, request) -> bool:
        # Quotas are created with their user (ACC-02).
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # ...and go only with their user: a person without a quota could not upload (ACC-02).
        return False
