"""Sign-up, the settings page and its actions; log in, log out and password pages come from django.contrib.auth."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts import services
from accounts.forms import DeleteAccountForm, ProviderForm, SignupForm, TokenForm
from accounts.models import ApiToken, ProviderSettings
from documents import providers, urlguard
from documents.classification import resolve_provider
from kite.errors import KiteError
from topics.models import Topic

# What "Test connection" asks the provider to file, and the topics it offers when the person has none yet.
SAMPLE_TEXT = "Invoice 2031 for March: three hours of consulting, 450 EUR, payable by bank transfer within 30 days."
SAMPLE_TOPICS = [providers.TopicChoice("Invoices", "Bills to pay"), providers.TopicChoice("Travel", "Trips")]
TEST_TIMEOUT_SECONDS = 20


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
def settings_page(request):
    """UI-04: provider, API tokens and quota in one place."""
    from accounts.provider_api import provider_view

    own = ProviderSettings.objects.filter(user=request.user).first()
    provider_form = ProviderForm(
        request.POST if request.POST.get("form") == "provider" else None,
        initial={
            "kind": own.kind if own else "builtin",
            "base_url": own.base_url if own else "",
            "model": own.model if own else "",
        },
    )
    if own and own.has_api_key:
        provider_form.fields["api_key"].help_text = "A key is stored (hidden). Leave empty to keep it."
    token_form = TokenForm(request.POST if request.POST.get("form") == "token" else None)
    new_key = None
    if request.method == "POST" and request.POST.get("form") == "provider" and provider_form.is_valid():
        data = provider_form.cleaned_data
        try:
            services.provider_settings_save(
                user=request.user,
                kind=data["kind"],
                base_url=data["base_url"],
                model=data["model"],
                api_key="" if data["clear_api_key"] else (data["api_key"] or None),
            )
        except KiteError as exc:
            provider_form.add_error(exc.extra.get("field"), exc.detail)
        else:
            messages.success(request, "Provider settings saved.")
            return redirect("settings")
    if request.method == "POST" and request.POST.get("form") == "provider-reset":
        services.provider_settings_delete(user=request.user)
        messages.success(request, "Back to the server's default provider.")
        return redirect("settings")
    if request.method == "POST" and request.POST.get("form") == "token" and token_form.is_valid():
        _, new_key = services.token_create(user=request.user, name=token_form.cleaned_data["name"])
        token_form = TokenForm()
    context = {
        "provider_form": provider_form,
        "provider": provider_view(request.user, own),
        "token_form": token_form,
        "new_key": new_key,
        "tokens": ApiToken.objects.filter(user=request.user),
    }
    return render(request, "accounts/settings.html", context)


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


@login_required
@require_POST
def provider_test(request):
    """DOC-03: run the person's effective provider once on a tiny sample and say how it went, never the key."""
    ok, text = _provider_check(request.user)
    (messages.success if ok else messages.error)(request, text)
    return redirect("settings")


def _provider_check(user) -> tuple[bool, str]:
    resolved = resolve_provider(user)
    config = resolved.config
    if config.kind == ProviderSettings.Kind.BUILTIN:
        return True, "The built-in classifier works offline: there is no connection to test."
    try:
        if resolved.source == "user" and config.base_url:
            urlguard.check_base_url(config.base_url, allow_private=settings.KITE_PROVIDER_ALLOW_PRIVATE_URLS)
        topics = [providers.TopicChoice(t.name, t.description) for t in Topic.objects.visible_to(user)]
        answer = providers.classify(
            config,
            text=SAMPLE_TEXT,
            topics=topics or SAMPLE_TOPICS,
            timeout=min(settings.KITE_PROVIDER_TIMEOUT, TEST_TIMEOUT_SECONDS),
            public_only=resolved.source == "user" and not settings.KITE_PROVIDER_ALLOW_PRIVATE_URLS,
        )
    except (providers.ProviderError, ValueError) as exc:
        message = str(exc)
        if config.api_key:
            message = message.replace(config.api_key, "***")  # provider errors never carry it; stay sure
        return False, f"The test failed: {message}"
    name = dict(ProviderSettings.Kind.choices).get(config.kind, config.kind)
    model = f" ({config.model})" if config.model else ""
    filed = ", ".join(f"“{topic}”" for topic, _ in answer) or "no topic"
    return True, f"{name}{model} answered: it would file a sample invoice under {filed}."
