"""`Authorization: Token <key>` for scripts, checked against the stored hash."""

from __future__ import annotations

from rest_framework import authentication, exceptions

from accounts.models import ApiToken
from accounts.services import token_touch


class TokenAuthentication(authentication.BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Invalid token header.")
        try:
            key = header[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed("Invalid token header.") from None
        token = ApiToken.objects.for_key(key)
        if token is None or not token.user.is_active or not token.is_current:
            raise exceptions.AuthenticationFailed("Invalid token.")
        token_touch(token=token)
        return token.user, token

    def authenticate_header(self, request) -> str:
        return self.keyword
