"""The /v1 Rooms and Participants endpoints (reference: Rooms and Participants resources)."""

import functools

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from recordings.twilio_api.errors import not_found
from recordings.twilio_api.params import require_valid
from recordings.twilio_api.views import ERROR, PAGING_PARAMETERS, actor_of, list_response
from recordings.video import selectors, services
from recordings.video.api.filters import ParticipantFilterSet, RoomFilterSet
from recordings.video.api.params import CreateRoomParams, UpdateRoomParams
from recordings.video.api.serializers import ParticipantSerializer, RoomSerializer
from recordings.video.api.views import RoomAPIView, TwilioListView
from recordings.video.choices import ParticipantStatus, RoomStatus

DATE_FILTERS = [
    OpenApiParameter("DateCreatedAfter", str, description="ISO 8601, inclusive"),
    OpenApiParameter("DateCreatedBefore", str, description="ISO 8601, exclusive"),
]


class RoomList(TwilioListView):
    key = "rooms"
    serializer_class = RoomSerializer
    filterset_class = RoomFilterSet

    @extend_schema(
        operation_id="ListRoom",
        parameters=[
            OpenApiParameter("Status", str, enum=["in-progress", "completed", "failed"]),
            OpenApiParameter("UniqueName", str),
            *DATE_FILTERS,
            *PAGING_PARAMETERS,
        ],
        responses={200: list_response("ListRoomResponse", RoomSerializer, "rooms"), 400: ERROR},
    )
    def get(self, request):
        # The reference: Status is "in-progress (default) or completed".
        default = {} if request.query_params.get("Status") else {"status": RoomStatus.IN_PROGRESS}
        return self.paged(functools.partial(selectors.room_list, account=self.account, **default))

    @extend_schema(
        operation_id="CreateRoom",
        request=CreateRoomParams,
        responses={201: RoomSerializer, 400: ERROR},
    )
    def post(self, request):
        params = require_valid(CreateRoomParams(data=request.data))
        room = services.room_create(
            account=self.account, actor=actor_of(request), **params.service_kwargs()
        )
        data = RoomSerializer(room, context=self.serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED)


class RoomInstance(RoomAPIView):
    @extend_schema(operation_id="FetchRoom", responses={200: RoomSerializer, 404: ERROR})
    def get(self, request, room):
        room = self.room_or_404(room, by_name=True)
        return Response(RoomSerializer(room, context=self.serializer_context()).data)

    @extend_schema(
        operation_id="UpdateRoom",
        request=UpdateRoomParams,
        responses={202: RoomSerializer, 400: ERROR, 404: ERROR},
    )
    def post(self, request, room):
        room = self.room_or_404(room, by_name=True)
        require_valid(UpdateRoomParams(data=request.data))
        room = services.room_complete(room=room, actor=actor_of(request))
        data = RoomSerializer(room, context=self.serializer_context()).data
        return Response(data, status=status.HTTP_202_ACCEPTED)


class ParticipantList(TwilioListView):
    key = "participants"
    serializer_class = ParticipantSerializer
    filterset_class = ParticipantFilterSet

    @extend_schema(
        operation_id="ListRoomParticipant",
        parameters=[
            OpenApiParameter("Status", str, enum=["connected", "disconnected", "reconnecting"]),
            OpenApiParameter("Identity", str),
            *DATE_FILTERS,
            *PAGING_PARAMETERS,
        ],
        responses={
            200: list_response(
                "ListRoomParticipantResponse", ParticipantSerializer, key="participants"
            ),
            400: ERROR,
            404: ERROR,
        },
    )
    def get(self, request, room):
        room = self.room_or_404(room, by_name=True)
        # The reference: "For in-progress Rooms the default Status is connected. For completed
        # Rooms only disconnected Participants are returned."
        default = {}
        if not request.query_params.get("Status"):
            in_progress = room.status == RoomStatus.IN_PROGRESS
            default["status"] = (
                ParticipantStatus.CONNECTED if in_progress else ParticipantStatus.DISCONNECTED
            )
        return self.paged(functools.partial(selectors.participant_list, room=room, **default))


class ParticipantInstance(RoomAPIView):
    @extend_schema(
        operation_id="FetchRoomParticipant", responses={200: ParticipantSerializer, 404: ERROR}
    )
    def get(self, request, room, participant):
        room = self.room_or_404(room, by_name=True)
        found = selectors.participant_get(room=room, sid_or_identity=participant)
        if found is None:
            raise not_found(request.path.removeprefix("/v1"))
        return Response(ParticipantSerializer(found, context=self.serializer_context()).data)
