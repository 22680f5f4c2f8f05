"""Sign-up; log in, log out and password pages come from django.contrib.auth."""

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from accounts import services
from accounts.forms import DeleteAccountForm, SignupForm


def signup(request):
    if request.user.is_authenticated:
        return redirect("documents:list")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = services.user_create(
            username=form.cleaned_data["username"],
            email=form.cleaned_data.get("email", ""),
            password=form.cleaned_data["password1"],
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
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
