"""The base of every Twilio API view, the schema pieces every endpoint shares, and the 404 of
paths no endpoint serves."""

from typing import Any

from django.conf import settings
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from console.client_ip import client_ip
from console.services import Actor
from recordings.twilio_api.errors import not_found
from recordings.twilio_api.paging import api_base_url

PAGING_PARAMETERS = [
    OpenApiParameter(
        "PageSize",
        {"type": "integer", "minimum": 1, "maximum": settings.API_PAGE_SIZE_MAX},
        description=f"1 to {settings.API_PAGE_SIZE_MAX}, default {settings.API_PAGE_SIZE_DEFAULT}",
    ),
    OpenApiParameter(
        "Page",
        {"type": "integer", "format": "int64", "minimum": 0},
        description="The page index, for client state",
    ),
    OpenApiParameter("PageToken", str, description="The page token, provided by the API"),
]
# The query of a /Media redirect (params.media_ttl, params.content_disposition).
MEDIA_PARAMETERS = [
    OpenApiParameter("Ttl", int, description="Seconds the redirect URL is valid: 1 to 3600"),
    OpenApiParameter("ContentDisposition", str, description="`attachment` or `inline`…"),
]


class ListMetaSerializer(serializers.Serializer):
    """The ``meta`` block of every list page (documents what ``paging.list_meta`` returns)."""

    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    first_page_url = serializers.URLField()
    previous_page_url = serializers.URLField(allow_null=True)
    url = serializers.URLField()
    next_page_url = serializers.URLField(allow_null=True)
    key = serializers.CharField()


def list_response(name: str, serializer: type[serializers.Serializer], key: str) -> Any:
    """Return the schema of one page of a list: its rows under ``key`` and Twilio's ``meta``."""
    return inline_serializer(name, {key: serializer(many=True), "meta": ListMetaSerializer()})


ERROR = OpenApiResponse(
    inline_serializer(
        "TwilioError",
        {
            "code": serializers.IntegerField(),
            "message": serializers.CharField(),
            "more_info": serializers.URLField(),
            "status": serializers.IntegerField(),
        },
    )
)
REDIRECT = OpenApiResponse(
    inline_serializer("MediaRedirect", {"redirect_to": serializers.URLField()}),
    description="302 with `Location` set to a signed, expiring URL of the media file",
)


def actor_of(request: Request) -> Actor:
    """Return how the audit log records the API caller of this request."""
    # DRF's stubs know only Django's users; our authentication sets an ApiCaller (console).
    return Actor(name=request.user.actor, source_ip=client_ip(request))  # type: ignore[union-attr]


class TwilioAPIView(APIView):
    # drf-spectacular publishes this docstring as the description of every operation that has
    # none of its own: it is part of our OpenAPI document, so it keeps the words it was served in.
    """Base of every /v1 view: the caller's account is ``self.account``."""

    # The one action (console.roles) every method of the view needs from the caller's scope;
    # None lets the method decide: reads need VIEW, DELETE DELETE, other writes EDIT_RULES.
    required_action: str | None = None

    @property
    def account(self):
        return self.request.auth

    def serializer_context(self) -> dict[str, str]:
        return {"base_url": api_base_url(self.request)}


def media_found(url: str) -> Response:
    """Answer a /Media request: a 302 to the file's signed URL, which the body repeats (as
    Twilio's ``redirect_to``) for clients that do not follow redirects."""
    return Response({"redirect_to": url}, status=status.HTTP_302_FOUND, headers={"Location": url})


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE"])
@permission_classes([IsAuthenticated])  # nothing here, whatever the scope: 404, not 403
def unknown_path(request, rest):
    """Answer every other path under /v1 or /2010-04-01 with a Twilio 404, after authentication."""
    raise not_found(request.path.removeprefix("/v1"))
