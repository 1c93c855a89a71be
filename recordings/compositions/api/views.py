"""The /v1 composition endpoints: Compositions, CompositionHooks and CompositionSettings. Each
handler parses input, calls a selector or a service, and renders; the account always comes from
the credentials, so every lookup is scoped to it."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from console.roles import Action
from recordings.compositions import selectors, services
from recordings.compositions.api.filters import CompositionFilterSet, CompositionHookFilterSet
from recordings.compositions.api.params import CreateCompositionParams, HookParams
from recordings.compositions.api.serializers import (
    CompositionHookSerializer,
    CompositionSerializer,
    CompositionSettingsSerializer,
)
from recordings.compositions.choices import CompositionStatus
from recordings.compositions.filters import CompositionFilter
from recordings.compositions.media import media_url
from recordings.compositions.models import Composition, CompositionHook, CompositionSettings
from recordings.twilio_api.errors import not_found
from recordings.twilio_api.paging import api_base_url
from recordings.twilio_api.params import content_disposition, media_ttl, require_valid
from recordings.twilio_api.views import (
    ERROR,
    MEDIA_PARAMETERS,
    PAGING_PARAMETERS,
    REDIRECT,
    TwilioAPIView,
    actor_of,
    list_response,
    media_found,
)
from recordings.video.api.settings import RecordingSettingsParams, settings_invalid
from recordings.video.api.views import TwilioListView
from recordings.video.services.settings import InvalidSetting

DATE_FILTERS = [
    OpenApiParameter("DateCreatedAfter", OpenApiTypes.DATETIME, description="Inclusive"),
    OpenApiParameter("DateCreatedBefore", OpenApiTypes.DATETIME, description="Exclusive"),
]
COMPOSITION_FILTERS = [
    OpenApiParameter("Status", str, enum=list(CompositionStatus.values)),
    OpenApiParameter("RoomSid", str, description="A room SID (RM…)"),
    *DATE_FILTERS,
]
HOOK_FILTERS = [
    OpenApiParameter("Enabled", bool),
    OpenApiParameter("FriendlyName", str),
    *DATE_FILTERS,
]


class CompositionList(TwilioListView):
    key = "compositions"
    serializer_class = CompositionSerializer
    filterset_class = CompositionFilterSet

    @extend_schema(
        operation_id="ListComposition",
        parameters=COMPOSITION_FILTERS + PAGING_PARAMETERS,
        responses={
            200: list_response("ListCompositionResponse", CompositionSerializer, key),
            400: ERROR,
        },
    )
    def get(self, request):
        return self.paged(
            lambda **given: selectors.composition_list(
                account=self.account, filter=CompositionFilter(**given)
            )
        )

    @extend_schema(
        operation_id="CreateComposition",
        request=CreateCompositionParams,
        responses={201: CompositionSerializer, 400: ERROR},
    )
    def post(self, request):
        params = require_valid(CreateCompositionParams(data=request.data))
        spec = params.spec()
        room = services.composable_room(
            account=self.account, room_sid=params.validated_data["RoomSid"]
        )
        composition = services.composition_create(room=room, spec=spec, actor=actor_of(request))
        data = CompositionSerializer(composition, context=self.serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED)


class _CompositionView(TwilioAPIView):
    def composition_or_404(self, sid: str) -> Composition:
        composition = selectors.composition_get(account=self.account, sid=sid)
        if composition is None:
            raise not_found(self.request.path.removeprefix("/v1"))
        return composition


class CompositionInstance(_CompositionView):
    @extend_schema(
        operation_id="FetchComposition", responses={200: CompositionSerializer, 404: ERROR}
    )
    def get(self, request, sid):
        composition = self.composition_or_404(sid)
        return Response(CompositionSerializer(composition, context=self.serializer_context()).data)

    @extend_schema(operation_id="DeleteComposition", responses={204: None, 404: ERROR, 409: ERROR})
    def delete(self, request, sid):
        services.composition_delete(
            composition=self.composition_or_404(sid), actor=actor_of(request)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class CompositionMedia(_CompositionView):
    required_action = Action.PLAY

    @extend_schema(
        operation_id="FetchCompositionMedia",
        parameters=MEDIA_PARAMETERS,
        responses={302: REDIRECT, 400: ERROR, 404: ERROR},
    )
    def get(self, request, sid):
        ttl = media_ttl(request.query_params.get("Ttl"))
        composition = self.composition_or_404(sid)
        disposition = content_disposition(
            request.query_params.get("ContentDisposition"),
            default=f'attachment; filename="{composition.sid}.{composition.format}"',
        )
        if not composition.has_media:
            raise not_found(request.path.removeprefix("/v1"))
        return media_found(
            media_url(composition, base_url=api_base_url(request), ttl=ttl, disposition=disposition)
        )


class CompositionHookList(TwilioListView):
    required_action = Action.ADMINISTER
    key = "composition_hooks"
    serializer_class = CompositionHookSerializer
    filterset_class = CompositionHookFilterSet

    @extend_schema(
        operation_id="ListCompositionHook",
        parameters=HOOK_FILTERS + PAGING_PARAMETERS,
        responses={
            200: list_response("ListCompositionHookResponse", CompositionHookSerializer, key),
            400: ERROR,
        },
    )
    def get(self, request):
        return self.paged(lambda **given: selectors.hook_list(account=self.account, **given))

    @extend_schema(
        operation_id="CreateCompositionHook",
        request=HookParams,
        responses={201: CompositionHookSerializer, 400: ERROR},
    )
    def post(self, request):
        params = require_valid(HookParams(data=request.data))
        hook = services.hook_create(
            account=self.account,
            friendly_name=params.validated_data["FriendlyName"],
            enabled=params.validated_data.get("Enabled", True),
            spec=params.spec(),
            actor=actor_of(request),
        )
        data = CompositionHookSerializer(hook, context=self.serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED)


class CompositionHookInstance(TwilioAPIView):
    required_action = Action.ADMINISTER

    def hook_or_404(self, sid: str) -> CompositionHook:
        hook = selectors.hook_get(account=self.account, sid=sid)
        if hook is None:
            raise not_found(self.request.path.removeprefix("/v1"))
        return hook

    def render(self, hook: CompositionHook) -> Response:
        return Response(CompositionHookSerializer(hook, context=self.serializer_context()).data)

    @extend_schema(
        operation_id="FetchCompositionHook",
        responses={200: CompositionHookSerializer, 404: ERROR},
    )
    def get(self, request, sid):
        return self.render(self.hook_or_404(sid))

    @extend_schema(
        operation_id="UpdateCompositionHook",
        request=HookParams,
        responses={200: CompositionHookSerializer, 400: ERROR, 404: ERROR},
    )
    def post(self, request, sid):
        hook = self.hook_or_404(sid)
        params = require_valid(HookParams(data=request.data))
        return self.render(
            services.hook_update(
                hook=hook,
                friendly_name=params.validated_data["FriendlyName"],
                enabled=params.validated_data.get("Enabled"),
                spec=params.spec() if params.gives_spec() else None,
                actor=actor_of(request),
            )
        )

    @extend_schema(operation_id="DeleteCompositionHook", responses={204: None, 404: ERROR})
    def delete(self, request, sid):
        services.hook_delete(hook=self.hook_or_404(sid), actor=actor_of(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class CompositionSettingsDefault(TwilioAPIView):
    required_action = Action.ADMINISTER

    def render(self, row: CompositionSettings) -> Response:
        context = {"base_url": api_base_url(self.request)}
        return Response(CompositionSettingsSerializer(row, context=context).data)

    @extend_schema(
        operation_id="FetchCompositionSettings",
        responses={200: CompositionSettingsSerializer, 401: ERROR},
    )
    def get(self, request):
        row = selectors.composition_settings_of(account=self.account)
        return self.render(row or CompositionSettings(account=self.account))

    @extend_schema(
        operation_id="CreateCompositionSettings",
        request=RecordingSettingsParams,
        responses={200: CompositionSettingsSerializer, 400: ERROR},
    )
    def post(self, request):
        params = require_valid(RecordingSettingsParams(data=request.data))
        try:
            row = services.composition_settings_update(
                account=self.account, actor=actor_of(request), **params.service_kwargs()
            )
        except InvalidSetting as exc:
            raise settings_invalid(exc) from None
        return self.render(row)
