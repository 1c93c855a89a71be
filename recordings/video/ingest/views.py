"""The media-server API: report participants and tracks, upload finished recordings.

A media server authenticates with an API key of the account. Every answer about a room says which
tracks it must be capturing now (with the recording SID each goes into) and which stopped
recordings still await their file, so a server that missed an answer can always catch up.
"""

import tempfile
from pathlib import Path

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from console.authentication import ApiKeyAuthentication
from console.roles import Action
from recordings.media.store import CHUNK_SIZE
from recordings.twilio_api.errors import (
    REQUEST_TOO_LARGE,
    TwilioAPIError,
    invalid_parameter,
    not_found,
)
from recordings.twilio_api.params import require_valid
from recordings.twilio_api.views import ERROR, actor_of
from recordings.video import selectors, services
from recordings.video.api.serializers import RecordingSerializer
from recordings.video.api.views import RoomAPIView
from recordings.video.ingest.serializers import (
    FailureIn,
    ParticipantIn,
    RoomIn,
    RoomStateOut,
    TrackIn,
)


def _valid(serializer_class, data) -> dict:
    return require_valid(serializer_class(data=data)).validated_data


class IngestView(RoomAPIView):
    """Base of the ingest endpoints: API keys only (of scope ingest or main), JSON bodies."""

    authentication_classes = [ApiKeyAuthentication]
    required_action = Action.INGEST
    parser_classes = [JSONParser]

    def state(self, room, http_status=status.HTTP_200_OK, **extra) -> Response:
        """Answer with what the media server must do in this room now."""
        room.refresh_from_db()
        body = RoomStateOut(
            {
                "room": room,
                "capture": selectors.recordings_capturing(room=room),
                "awaiting_media": selectors.recordings_awaiting_media(room=room),
            }
        ).data
        return Response({**extra, **body}, status=http_status)

    def participant_or_404(self, room, sid: str):
        participant = selectors.participant_get(room=room, sid_or_identity=sid)
        if participant is None or participant.sid != sid:
            raise not_found(self.request.path)
        return participant

    def recording_or_404(self, sid: str):
        recording = selectors.recording_get(account=self.account, sid=sid)
        if recording is None:
            raise not_found(self.request.path)
        return recording


class Rooms(IngestView):
    @extend_schema(operation_id="IngestCreateRoom", request=RoomIn, responses={201: RoomStateOut})
    def post(self, request):
        """Open an ad-hoc room, as a media server does when the first client joins a new name."""
        data = _valid(RoomIn, request.data)
        room = services.room_create(
            account=self.account,
            unique_name=data["unique_name"],
            record_participants_on_connect=data.get("record_participants_on_connect"),
            actor=actor_of(request),
        )
        return self.state(room, status.HTTP_201_CREATED)


class RoomState(IngestView):
    @extend_schema(operation_id="IngestFetchRoomState", responses={200: RoomStateOut, 404: ERROR})
    def get(self, request, room):
        """Tell what to capture now in this room."""
        return self.state(self.room_or_404(room, by_name=True))


class Participants(IngestView):
    @extend_schema(
        operation_id="IngestConnectParticipant",
        request=ParticipantIn,
        responses={201: RoomStateOut, 400: ERROR, 404: ERROR, 409: ERROR},
    )
    def post(self, request, room):
        """Report that a participant connected."""
        room = self.room_or_404(room, by_name=True)
        data = _valid(ParticipantIn, request.data)
        participant = services.participant_connect(room=room, identity=data["identity"])
        return self.state(room, status.HTTP_201_CREATED, participant_sid=participant.sid)


class Participant(IngestView):
    @extend_schema(
        operation_id="IngestDisconnectParticipant", responses={200: RoomStateOut, 404: ERROR}
    )
    def delete(self, request, room, participant):
        """Report that a participant disconnected (its tracks are unpublished with it)."""
        room = self.room_or_404(room, by_name=True)
        services.participant_disconnect(participant=self.participant_or_404(room, participant))
        return self.state(room)


class Tracks(IngestView):
    @extend_schema(
        operation_id="IngestPublishTrack",
        request=TrackIn,
        responses={201: RoomStateOut, 400: ERROR, 404: ERROR, 409: ERROR},
    )
    def post(self, request, room, participant):
        """Report that a participant published a track."""
        room = self.room_or_404(room, by_name=True)
        publisher = self.participant_or_404(room, participant)
        data = _valid(TrackIn, request.data)
        track = services.track_publish(
            participant=publisher, name=data["name"], kind=data["kind"], codec=data.get("codec", "")
        )
        return self.state(room, status.HTTP_201_CREATED, track_sid=track.sid)


class Track(IngestView):
    @extend_schema(operation_id="IngestUnpublishTrack", responses={200: RoomStateOut, 404: ERROR})
    def delete(self, request, room, track):
        """Report that a track was unpublished."""
        room = self.room_or_404(room, by_name=True)
        found = selectors.track_get(room=room, sid=track)
        if found is None:
            raise not_found(request.path)
        services.track_unpublish(track=found)
        return self.state(room)


class RecordingMedia(IngestView):
    parser_classes = []  # the body is the file itself, read as a stream below

    @extend_schema(
        operation_id="IngestUploadRecordingMedia",
        request={"application/octet-stream": bytes},
        responses={200: RecordingSerializer, 400: ERROR, 404: ERROR, 409: ERROR, 413: ERROR},
    )
    def put(self, request, sid):
        """Upload a finished recording's Matroska file as the raw request body."""
        recording = self.recording_or_404(sid)
        length = content_length(request)
        with tempfile.NamedTemporaryFile(prefix="roomvault-upload-") as file:
            copy_body(request, file, length)
            recording = services.recording_media_ingest(recording=recording, path=Path(file.name))
        return Response(RecordingSerializer(recording, context=self.serializer_context()).data)


class RecordingFailure(IngestView):
    @extend_schema(
        operation_id="IngestReportRecordingFailure",
        request=FailureIn,
        responses={200: RecordingSerializer, 404: ERROR, 409: ERROR},
    )
    def post(self, request, sid):
        """Report that a recording could not be captured."""
        recording = self.recording_or_404(sid)
        data = _valid(FailureIn, request.data)
        recording = services.recording_fail(recording=recording, reason=data["reason"])
        return Response(RecordingSerializer(recording, context=self.serializer_context()).data)


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE"])
@authentication_classes([ApiKeyAuthentication])
@permission_classes([IsAuthenticated])  # nothing here, whatever the scope: 404, not 403
def unknown_path(request, rest):
    """Answer every other path under /ingest/v1 with a Twilio 404, after authentication."""
    raise not_found(request.path)


def _too_large() -> TwilioAPIError:
    return TwilioAPIError(
        REQUEST_TOO_LARGE,
        f"The file is larger than {settings.INGEST_MAX_UPLOAD_BYTES} bytes",
        status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    )


def content_length(request) -> int:
    raw = request.META.get("CONTENT_LENGTH") or ""
    if not raw.isascii() or not raw.isdigit():
        raise TwilioAPIError(
            20001, "Content-Length is required for uploads", status.HTTP_411_LENGTH_REQUIRED
        )
    if int(raw) > settings.INGEST_MAX_UPLOAD_BYTES:
        raise _too_large()
    return int(raw)


def copy_body(request, file, length: int) -> None:
    """Stream the request body to a file, a chunk at a time: never the whole file in memory."""
    remaining = length
    while remaining > 0:
        chunk = request.stream.read(min(CHUNK_SIZE, remaining))
        if not chunk:
            raise invalid_parameter("body", f"the upload ended {remaining} bytes short")
        file.write(chunk)
        remaining -= len(chunk)
    file.flush()
