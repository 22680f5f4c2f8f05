"""Sign-up, account deletion and token revocation; log in, log out and password pages come from django.contrib.auth.

The settings page, which brings provider, tokens and quota together, is a cross-app page in kite.views.
"""

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts import services, throttle
from accounts.forms import DeleteAccountForm, SignupForm

SIGNUP_THROTTLED = "Too many accounts were made from your address in the last hour. Try again later."


def signup(request):
    if request.user.is_authenticated:
        return redirect("documents:list")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not throttle.signup_allowed(request):
            response = render(request, "accounts/signup.html", {"form": form, "throttled": SIGNUP_THROTTLED})
            response.status_code = 429
            return response
        user = services.user_create(
            username=form.cleaned_data["username"],
            email=form.cleaned_data.get("email", ""),
            password=form.cleaned_data["password1"],
        )
        login(request, user, backend="accounts.backends.PasswordBackend")
        return redirect("documents:list")
    return render(request, "accounts/signup.html", {"form": form})


@login_required
def account_delete(request):
    """ACC-05: deleting an account asks for the password, then removes everything of it."""
    form = DeleteAccountForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = request.user
        logout(request)
        services.user_delete(user=user)
        messages.success(request, "Your account and all its documents were deleted.")
        return redirect("home")
    return render(request, "accounts/delete.html", {"form": form})


@login_required
@require_POST
def token_revoke(request, pk: int):
    if not services.token_revoke(user=request.user, token_id=pk):
        raise Http404
    messages.success(request, "Token revoked.")
    return redirect("settings")


def locked_out(request, credentials=None, *args, **kwargs):
    """ACC-04: the answer once too many logins failed: 429 for the API, the login page with a notice otherwise."""
    message = "Too many failed log-in attempts. Wait a few minutes, then try again."
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message, "code": "throttled"}, status=429)
    response = render(request, "registration/login.html", {"form": None, "locked_out": message})
    response.status_code = 429
    return response
