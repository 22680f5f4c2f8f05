"""Share link pages: the owner's buttons on the document page, and the public page a link opens (LIFE-04).

The public pages need no account and no session. They show the document's title and a download button, and
nothing else of the owner's; every link that does not open (unknown, expired, revoked, its document gone or
in the trash) gets the same 404 page.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from documents.models import Document
from kite.errors import KiteError, NotFound
from shares import services, throttle
from shares.api import share_url
from shares.forms import ShareForm, SharePasswordForm
from shares.models import ShareLink

# A correct password is remembered for ten minutes, in a signed cookie sent back to that link's pages only.
UNLOCK_COOKIE = "kite_share"
UNLOCK_SALT = "shares.unlocked"
UNLOCK_SECONDS = 600
MAX_TOKEN_LENGTH = 100


def public(view):
    """The token is in the address: no page of a link may pass it on (Referer), be indexed, or be kept."""

    @wraps(view)
    def wrapped(request, token: str):
        response = view(request, token)
        response["Referrer-Policy"] = "no-referrer"
        response["X-Robots-Tag"] = "noindex, nofollow"
        add_never_cache_headers(response)  # no-store among them
        return response

    return wrapped


def _gone(request):
    return render(request, "shares/not_found.html", status=404)


def _throttled(request):
    return render(request, "shares/throttled.html", status=429)


def _open_link(request, token: str) -> ShareLink | None:
    """The link this token opens, or None; a token longer than any Kite makes is not looked up."""
    if len(token) > MAX_TOKEN_LENGTH:
        return None
    return services.share_find(token)


def _unlocked(request, link: ShareLink) -> bool:
    if not link.has_password:
        return True
    value = request.get_signed_cookie(UNLOCK_COOKIE, default=None, salt=UNLOCK_SALT, max_age=UNLOCK_SECONDS)
    return value == str(link.pk)


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
@public
def share_page(request, token: str):
    """The title and a download button; a password form first when the link has a password.

    The password form needs no CSRF token: it signs nobody in and changes nothing but the cookie that remembers
    this link's password, and a page sent with `Referrer-Policy: no-referrer` makes browsers post with
    `Origin: null`, which Django's CSRF check refuses.
    """
    if not throttle.address_allowed(request):
        return _throttled(request)
    link = _open_link(request, token)
    if link is None:
        return _gone(request)
    if not throttle.link_allowed(link):
        return _throttled(request)
    form = None
    if not _unlocked(request, link):
        form = SharePasswordForm(request.POST if request.method == "POST" else None)
        if request.method == "POST":
            if not throttle.password_attempts_left(link):
                return _throttled(request)
            if not form.is_valid():
                return render(request, "shares/public.html", {"title": link.document.title, "form": form})
            if services.share_password_matches(link, form.cleaned_data["password"]):
                response = HttpResponseRedirect(request.path)
                response.set_signed_cookie(
                    UNLOCK_COOKIE,
                    str(link.pk),
                    salt=UNLOCK_SALT,
                    max_age=UNLOCK_SECONDS,
                    path=request.path,
                    secure=request.is_secure(),
                    httponly=True,
                    samesite="Strict",
                )
                return response
            throttle.password_failed(link)
            # The form again, as Django's log-in page answers a wrong password.
            form.add_error(None, "That is not the password of this link.")
    context = {"title": link.document.title, "form": form, "token": token}
    return render(request, "shares/public.html", context)


@require_GET  # not HEAD: a link preview's HEAD is no open
@public
def share_download(request, token: str):
    """A short presigned GET of the file, as an attachment; each one counts as an open of the link."""
    if not throttle.address_allowed(request):
        return _throttled(request)
    link = _open_link(request, token)
    if link is None:
        return _gone(request)
    if not throttle.link_allowed(link):
        return _throttled(request)
    if not _unlocked(request, link):
        return HttpResponseRedirect(reverse("shares:public", args=[token]))
    return HttpResponseRedirect(services.share_open(link))


@login_required
@require_POST
def document_share(request, pk):
    """Make a link to the person's document; its address is shown on the answer, once."""
    document = Document.objects.owned_by(request.user).filter(pk=pk).first()
    if document is None:
        raise Http404
    form = ShareForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, "The link was not made: " + " ".join(str(e) for errors in form.errors.values() for e in errors)
        )
        return redirect(document)
    try:
        link, token = services.share_create(user=request.user, document_id=document.pk, **form.cleaned_data)
    except KiteError as exc:
        messages.error(request, exc.detail)
        return redirect(document)
    response = render(
        request, "shares/created.html", {"document": document, "link": link, "url": share_url(request, token)}
    )
    add_never_cache_headers(response)
    return response


@login_required
@require_POST
def share_revoke(request, pk):
    try:
        link = services.share_revoke(user=request.user, share_id=pk)
    except NotFound:
        raise Http404 from None
    messages.success(request, "The link was revoked: it no longer opens.")
    return redirect(link.document)
