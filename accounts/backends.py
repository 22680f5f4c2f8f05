"""Django's password backend, loading the signed-in person together with their quota.

Every page shows the quota meter, so the person and their quota come in one query instead of two.
"""

from django.contrib.auth import backends, get_user_model


class PasswordBackend(backends.ModelBackend):
    def get_user(self, user_id):
        model = get_user_model()
        try:
            user = model._default_manager.select_related("quota").get(pk=user_id)
        except model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
