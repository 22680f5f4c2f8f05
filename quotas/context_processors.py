"""The quota meter shown on every page (STORE-04)."""

from quotas.models import Quota


def quota(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    try:
        return {"quota": user.quota}  # loaded with the user (accounts.backends)
    except Quota.DoesNotExist:
        return {}
