"""Personal API tokens (ACC-03): obtain with a password, list, revoke."""

from typing import cast

from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from accounts import services
from accounts.models import ApiToken, User
from accounts.serializers import TokenCreatedSerializer, TokenCreateSerializer, TokenSerializer


@extend_schema(
    request=TokenCreateSerializer,
    responses={
        201: TokenCreatedSerializer,
        400: OpenApiResponse(description="Bad credentials"),
        429: OpenApiResponse(description="Too many failed attempts"),
    },
)
@api_view(["POST"])
@authentication_classes([])
@permission_classes([AllowAny])
def token_create(request):
    data = TokenCreateSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    # The Django request, so django-axes counts failures and locks out (ACC-04).
    credentials = {"username": data.validated_data["username"], "password": data.validated_data["password"]}
    user = authenticate(request._request, **credentials)
    if user is None:
        raise ValidationError(
            {"non_field_errors": ["Unable to log in with these credentials."]}, code="invalid_credentials"
        )
    # Counts as a log-in: clears earlier failures (django-axes) and records last_login.
    user_logged_in.send(sender=type(user), request=request._request, user=user)
    token, key = services.token_create(
        user=user, name=data.validated_data["name"], expires_in_days=data.validated_data["expires_in_days"]
    )
    body = {"token": key, "id": token.pk, "name": token.name, "expires": token.expires}
    return Response(TokenCreatedSerializer(body).data, status=status.HTTP_201_CREATED)


class TokenList(generics.ListAPIView):
    serializer_class = TokenSerializer

    def get_queryset(self):
        return ApiToken.objects.filter(user=cast(User, self.request.user))


@extend_schema(request=None, responses={204: None, 404: OpenApiResponse(description="Not found")})
@api_view(["DELETE"])
def token_delete(request, pk: int):
    if not services.token_revoke(user=request.user, token_id=pk):
        raise NotFound()
    return Response(status=status.HTTP_204_NO_CONTENT)
