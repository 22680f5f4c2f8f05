from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from accounts import services
from accounts.models import User


@admin.register(User)
class KiteUserAdmin(UserAdmin):
    # Deleting through the admin must also delete the person's stored objects (ACC-05).
    def delete_model(self, request, obj) -> None:
        services.user_delete(user=obj)

    def delete_queryset(self, request, queryset) -> None:
        for user in queryset:
            services.user_delete(user=user)
