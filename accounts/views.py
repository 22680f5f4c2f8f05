"""Sign-up; log in, log out and password pages come from django.contrib.auth."""

from django.contrib.auth import login
from django.shortcuts import redirect, render

from accounts import services
from accounts.forms import SignupForm


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
