"""The media-server API: report participants and tracks, upload finished recordings.

A media server authenticates with an API key of the account. Every answer about a room says which
tracks it must be capturing now (with the recording SID each goes into) and which stopped
recordings still await their file, so a server that missed an answer can always catch up.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from recordings.media.incoming import uploaded_file
from recordings.twilio_api.errors import not_found
from recordings.twilio_api.ingest import IngestView
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


class RoomIngestView(IngestView, RoomAPIView):
    """Base of the media server's endpoints: rooms by SID or unique name, and the answer that
    tells the server what to capture."""

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


class Rooms(RoomIngestView):
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


class RoomState(RoomIngestView):
    @extend_schema(operation_id="IngestFetchRoomState", responses={200: RoomStateOut, 404: ERROR})
    def get(self, request, room):
        """Tell what to capture now in this room."""
        return self.state(self.room_or_404(room, by_name=True))


class Participants(RoomIngestView):
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


class Participant(RoomIngestView):
    @extend_schema(
        operation_id="IngestDisconnectParticipant", responses={200: RoomStateOut, 404: ERROR}
    )
    def delete(self, request, room, participant):
        """Report that a participant disconnected (its tracks are unpublished with it)."""
        room = self.room_or_404(room, by_name=True)
        services.participant_disconnect(participant=self.participant_or_404(room, participant))
        return self.state(room)


class Tracks(RoomIngestView):
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


class Track(RoomIngestView):
    @extend_schema(operation_id="IngestUnpublishTrack", responses={200: RoomStateOut, 404: ERROR})
    def delete(self, request, room, track):
        """Report that a track was unpublished."""
        room = self.room_or_404(room, by_name=True)
        found = selectors.track_get(room=room, sid=track)
        if found is None:
            raise not_found(request.path)
        services.track_unpublish(track=found)
        return self.state(room)


class RecordingMedia(RoomIngestView):
    parser_classes = []  # the body is the file itself, read as a stream below

    @extend_schema(
        operation_id="IngestUploadRecordingMedia",
        request={"application/octet-stream": bytes},
        responses={200: RecordingSerializer, 400: ERROR, 404: ERROR, 409: ERROR, 413: ERROR},
    )
    def put(self, request, sid):
        """Upload a finished recording's Matroska file as the raw request body."""
        recording = self.recording_or_404(sid)
        with uploaded_file(request) as path:
            recording = services.recording_media_ingest(recording=recording, path=path)
        return Response(RecordingSerializer(recording, context=self.serializer_context()).data)


class RecordingFailure(RoomIngestView):
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
