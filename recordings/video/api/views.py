"""The /v1 Video Recordings endpoints. Each handler parses input, calls a selector or a service, and
renders; the account always comes from the credentials, so every lookup is scoped to it.
"""

from collections.abc import Callable

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers as drf_serializers
from rest_framework import status
from rest_framework.response import Response

from console.roles import Action
from console.sids import is_sid
from recordings.twilio_api import keyset
from recordings.twilio_api.errors import invalid_parameter, not_found
from recordings.twilio_api.paging import (
    PageRequest,
    api_base_url,
    list_meta,
    parse_page_request,
)
from recordings.twilio_api.params import content_disposition, media_ttl
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
from recordings.video import selectors, services
from recordings.video.api.filters import (
    RecordingFilterSet,
    RoomRecordingFilterSet,
    selector_filters,
)
from recordings.video.api.serializers import (
    RECORDING_COLUMNS,
    RecordingRulesSerializer,
    RecordingSerializer,
    RoomRecordingSerializer,
    empty_rules,
)
from recordings.video.filters import RecordingFilter
from recordings.video.media import media_url

ROOM_RECORDING_FILTERS = [
    OpenApiParameter("Status", str, enum=["processing", "completed", "deleted", "failed"]),
    OpenApiParameter("SourceSid", str, description="A track SID (MT…)"),
    OpenApiParameter("DateCreatedAfter", OpenApiTypes.DATETIME, description="Inclusive"),
    OpenApiParameter("DateCreatedBefore", OpenApiTypes.DATETIME, description="Exclusive"),
]
RECORDING_FILTERS = [
    *ROOM_RECORDING_FILTERS,
    OpenApiParameter("GroupingSid", str, many=True, description="Room or participant SIDs"),
    OpenApiParameter("MediaType", str, enum=["audio", "video", "data"]),
]


class RoomAPIView(TwilioAPIView):
    # Base of the views that address one of the caller's rooms, by SID or unique name. No
    # docstring: drf-spectacular would publish it as the description of each of their operations.

    def room_or_404(self, sid_or_name: str, *, by_name: bool = False):
        room = (
            selectors.room_get(account=self.account, sid_or_name=sid_or_name)
            if by_name or is_sid(sid_or_name, "RM")
            else None
        )
        if room is None:
            raise not_found(f"/Rooms/{sid_or_name}")
        return room


class TwilioListView(RoomAPIView):
    """Base of list endpoints: Twilio filters onto a selector, keyset pages, a ``meta`` block."""

    key: str
    serializer_class: type
    filterset_class: type

    def paged(self, selector: Callable[..., QuerySet]) -> Response:
        """Answer one page of ``selector(**filters)`` for this request's query."""
        return self.paged_by(
            lambda filters, paging: keyset.keyset_page(
                selector(**filters), page_size=paging.page_size, cursor=paging.cursor
            )
        )

    def paged_by(self, read: Callable[[dict[str, object], PageRequest], keyset.Page]) -> Response:
        """Answer the page ``read(filters, paging)`` returns for this request's query."""
        filters = selector_filters(self.filterset_class, self.request.query_params)
        paging = parse_page_request(self.request)
        page = read(filters, paging)
        data = self.serializer_class(page.rows, many=True, context=self.serializer_context()).data
        meta = list_meta(
            self.request,
            key=self.key,
            filter_names=tuple(self.filterset_class.base_filters),
            paging=paging,
            page=page,
        )
        return Response({self.key: data, "meta": meta})


class _RecordingListView(TwilioListView):
    key = "recordings"

    def list(self, *, room_sid: str | None = None) -> Response:
        return self.paged_by(
            lambda given, paging: selectors.recording_page(
                account=self.account,
                filter=RecordingFilter(room_sid=room_sid, **given),
                columns=RECORDING_COLUMNS,
                page_size=paging.page_size,
                cursor=paging.cursor,
            )
        )


class _RecordingInstanceView(RoomAPIView):
    serializer_class: type

    def recording_or_404(self, sid: str, room_sid: str | None):
        recording = selectors.recording_get(account=self.account, sid=sid, room_sid=room_sid)
        if recording is None:
            raise not_found(self.request.path.removeprefix("/v1"))
        return recording

    def fetch(self, sid: str, room_sid: str | None = None) -> Response:
        recording = self.recording_or_404(sid, room_sid)
        return Response(self.serializer_class(recording, context=self.serializer_context()).data)

    def remove(self, sid: str, room_sid: str | None = None) -> Response:
        recording = self.recording_or_404(sid, room_sid)
        services.recording_delete(recording=recording, actor=actor_of(self.request))
        return Response(status=status.HTTP_204_NO_CONTENT)

    def media(self, sid: str, room_sid: str | None = None) -> Response:
        ttl = media_ttl(self.request.query_params.get("Ttl"))
        recording = self.recording_or_404(sid, room_sid)
        disposition = content_disposition(
            self.request.query_params.get("ContentDisposition"),
            default=f'attachment; filename="{recording.sid}.{recording.container_format}"',
        )
        if not recording.has_media:
            raise not_found(self.request.path.removeprefix("/v1"))
        # Media in the account's own bucket: a presigned URL of that bucket (see media.external).
        return media_found(
            media_url(
                recording, base_url=api_base_url(self.request), ttl=ttl, disposition=disposition
            )
        )


class RecordingList(_RecordingListView):
    serializer_class = RecordingSerializer
    filterset_class = RecordingFilterSet

    @extend_schema(
        operation_id="ListRecording",
        parameters=RECORDING_FILTERS + PAGING_PARAMETERS,
        responses={
            200: list_response("ListRecordingResponse", RecordingSerializer, "recordings"),
            400: ERROR,
        },
    )
    def get(self, request):
        return self.list()


class RecordingInstance(_RecordingInstanceView):
    serializer_class = RecordingSerializer

    @extend_schema(operation_id="FetchRecording", responses={200: RecordingSerializer, 404: ERROR})
    def get(self, request, sid):
        return self.fetch(sid)

    @extend_schema(operation_id="DeleteRecording", responses={204: None, 404: ERROR, 409: ERROR})
    def delete(self, request, sid):
        return self.remove(sid)


class RecordingMedia(_RecordingInstanceView):
    required_action = Action.PLAY
    serializer_class = RecordingSerializer

    @extend_schema(
        operation_id="FetchRecordingMedia",
        parameters=MEDIA_PARAMETERS,
        responses={302: REDIRECT, 400: ERROR, 404: ERROR},
    )
    def get(self, request, sid):
        return self.media(sid)


class RoomRecordingList(_RecordingListView):
    serializer_class = RoomRecordingSerializer
    filterset_class = RoomRecordingFilterSet

    @extend_schema(
        operation_id="ListRoomRecording",
        parameters=ROOM_RECORDING_FILTERS + PAGING_PARAMETERS,
        responses={
            200: list_response("ListRoomRecordingResponse", RoomRecordingSerializer, "recordings"),
            400: ERROR,
            404: ERROR,
        },
    )
    def get(self, request, room_sid):
        return self.list(room_sid=self.room_or_404(room_sid).sid)


class RoomRecordingInstance(_RecordingInstanceView):
    serializer_class = RoomRecordingSerializer

    @extend_schema(
        operation_id="FetchRoomRecording", responses={200: RoomRecordingSerializer, 404: ERROR}
    )
    def get(self, request, room_sid, sid):
        return self.fetch(sid, self.room_or_404(room_sid).sid)

    @extend_schema(
        operation_id="DeleteRoomRecording", responses={204: None, 404: ERROR, 409: ERROR}
    )
    def delete(self, request, room_sid, sid):
        return self.remove(sid, self.room_or_404(room_sid).sid)


class RoomRecordingMedia(_RecordingInstanceView):
    required_action = Action.PLAY
    serializer_class = RoomRecordingSerializer

    @extend_schema(
        operation_id="FetchRoomRecordingMedia",
        parameters=MEDIA_PARAMETERS,
        responses={302: REDIRECT, 400: ERROR, 404: ERROR},
    )
    def get(self, request, room_sid, sid):
        return self.media(sid, self.room_or_404(room_sid).sid)


class RoomRecordingRules(RoomAPIView):
    @extend_schema(
        operation_id="FetchRoomRecordingRule", responses={200: RecordingRulesSerializer, 404: ERROR}
    )
    def get(self, request, room):
        room = self.room_or_404(room, by_name=True)
        rules = selectors.recording_rules_get(room=room) or empty_rules(room)
        return Response(RecordingRulesSerializer(rules).data)

    @extend_schema(
        operation_id="UpdateRoomRecordingRule",
        request=inline_serializer(
            "UpdateRoomRecordingRuleRequest", {"Rules": drf_serializers.CharField()}
        ),
        responses={200: RecordingRulesSerializer, 400: ERROR, 404: ERROR},
    )
    def post(self, request, room):
        room = self.room_or_404(room, by_name=True)
        document = request.data.get("Rules")
        if document is None:
            raise invalid_parameter("Rules", "missing required parameter")
        actor = actor_of(request)
        rules = services.recording_rules_update(room=room, document=document, actor=actor)
        return Response(RecordingRulesSerializer(rules).data)
