"""The telephony platform's API, under /ingest/v1 beside the media server's: report calls and
conferences, the recordings they start, and upload each recording's captured audio.

Like the media server, the platform authenticates with an API key of the account. Every answer
about a call or conference says which of its recordings are being captured (with their pauses)
and which stopped ones still await their audio.
"""

from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from recordings.lifecycle.choices import CallbackMethod
from recordings.media.incoming import uploaded_file
from recordings.twilio_api.ingest import IngestView
from recordings.twilio_api.params import require_valid
from recordings.twilio_api.views import ERROR
from recordings.voice import selectors as voice_selectors
from recordings.voice import services
from recordings.voice.api.serializers import recording_body
from recordings.voice.api.views import VoiceLookups
from recordings.voice.choices import (
    CallbackEvent,
    RecordingChannels,
    RecordingSource,
    RecordingTrack,
    Trim,
    VoiceRecordingStatus,
)


class RecordingIn(serializers.Serializer):
    """How the platform starts a recording (the options of <Dial record>, Record=true, …)."""

    source = serializers.ChoiceField(choices=RecordingSource.choices)
    channels = serializers.ChoiceField(choices=RecordingChannels.choices, default="mono")
    track = serializers.ChoiceField(choices=RecordingTrack.choices, default="both")
    trim = serializers.ChoiceField(choices=Trim.choices, default=Trim.DO_NOT_TRIM)
    status_callback = serializers.URLField(required=False, allow_null=True, max_length=1024)
    status_callback_method = serializers.ChoiceField(
        choices=CallbackMethod.choices, default=CallbackMethod.POST
    )
    status_callback_events = serializers.ListField(
        child=serializers.ChoiceField(choices=CallbackEvent.choices),
        default=[CallbackEvent.COMPLETED],
        allow_empty=False,
    )

    def service_kwargs(self) -> dict[str, object]:
        data = dict(self.validated_data)
        data["channels"] = 2 if data["channels"] == RecordingChannels.DUAL else 1
        return data


class CallIn(serializers.Serializer):
    from_number = serializers.CharField(max_length=64, required=False, default="")
    to_number = serializers.CharField(max_length=64, required=False, default="")


class ConferenceIn(serializers.Serializer):
    friendly_name = serializers.CharField(max_length=128)


class JoinIn(serializers.Serializer):
    call_sid = serializers.CharField(max_length=34)


def _recordings_state(**subject) -> dict[str, object]:
    recordings = list(voice_selectors.voice_recordings_of(**subject))
    return {
        "capture": [
            {
                "recording_sid": r.sid,
                "state": r.capture,
                "channels": r.channels,
                "track": r.track,
                "start_time": r.start_time.isoformat(),
                "pauses": r.pauses,
            }
            for r in recordings
            if r.is_active
        ],
        "awaiting_audio": [
            r.sid
            for r in recordings
            if not r.is_active and r.status == VoiceRecordingStatus.PROCESSING
        ],
    }


def _options(raw) -> dict[str, object] | None:
    """Validate a ``record`` object (None when absent) before anything is written."""
    return None if raw is None else require_valid(RecordingIn(data=raw)).service_kwargs()


class VoiceIngestView(VoiceLookups, IngestView):
    def call_state(self, call, http_status=status.HTTP_200_OK) -> Response:
        call.refresh_from_db()
        body = {
            "call_sid": call.sid,
            "call_status": call.status,
            "conference_sid": call.conference_id,
            **_recordings_state(call=call),
        }
        return Response(body, status=http_status)

    def conference_state(self, conference, http_status=status.HTTP_200_OK) -> Response:
        conference.refresh_from_db()
        body = {
            "conference_sid": conference.sid,
            "conference_status": conference.status,
            **_recordings_state(conference=conference),
        }
        return Response(body, status=http_status)


class Calls(VoiceIngestView):
    @extend_schema(
        operation_id="IngestStartCall",
        request=CallIn,
        responses={201: OpenApiTypes.OBJECT, 400: ERROR, 404: ERROR, 409: ERROR},
    )
    def post(self, request):
        """Report an answered call, recording it from the start if ``record`` is given."""
        data = require_valid(CallIn(data=request.data)).validated_data
        options = _options(request.data.get("record"))
        with transaction.atomic():
            call = services.call_start(
                account=self.account, from_number=data["from_number"], to_number=data["to_number"]
            )
            if options is not None:
                services.voice_recording_start(call=call, **options)
        return self.call_state(call, status.HTTP_201_CREATED)


class CallState(VoiceIngestView):
    @extend_schema(
        operation_id="IngestFetchCallState",
        responses={200: OpenApiTypes.OBJECT, 400: ERROR, 404: ERROR, 409: ERROR},
    )
    def get(self, request, call):
        """Tell what to capture now on this call."""
        return self.call_state(self.call_or_404(call))


class CallRecordings(VoiceIngestView):
    @extend_schema(
        operation_id="IngestStartCallRecording",
        request=RecordingIn,
        responses={201: OpenApiTypes.OBJECT, 400: ERROR, 404: ERROR, 409: ERROR},
    )
    def post(self, request, call):
        """Report a recording the platform started on a call (<Dial record>, <Record>, …)."""
        call = self.call_or_404(call)
        services.voice_recording_start(call=call, **_options(request.data))
        return self.call_state(call, status.HTTP_201_CREATED)


class CallEnd(VoiceIngestView):
    @extend_schema(
        operation_id="IngestEndCall",
        request=None,
        responses={200: OpenApiTypes.OBJECT, 400: ERROR, 404: ERROR, 409: ERROR},
    )
    def post(self, request, call):
        """Report that a call hung up: its recordings stop and await their audio."""
        call = services.call_end(call=self.call_or_404(call))
        return self.call_state(call)


class Conferences(VoiceIngestView):
    @extend_schema(
        operation_id="IngestStartConference",
        request=ConferenceIn,
        responses={201: OpenApiTypes.OBJECT, 400: ERROR, 404: ERROR, 409: ERROR},
    )
    def post(self, request):
        """Report a conference that began, recording it if ``record`` is given."""
        data = require_valid(ConferenceIn(data=request.data)).validated_data
        options = _options(request.data.get("record"))
        with transaction.atomic():
            conference = services.conference_start(
                account=self.account, friendly_name=data["friendly_name"]
            )
            if options is not None:
                services.voice_recording_start(conference=conference, **options)
        return self.conference_state(conference, status.HTTP_201_CREATED)


class ConferenceParticipants(VoiceIngestView):
    @extend_schema(
        operation_id="IngestJoinConference",
        request=JoinIn,
        responses={201: OpenApiTypes.OBJECT, 400: ERROR, 404: ERROR, 409: ERROR},
    )
    def post(self, request, conference):
        """Report that a call joined a conference."""
        conference = self.conference_or_404(conference)
        data = require_valid(JoinIn(data=request.data)).validated_data
        services.conference_join(conference=conference, call=self.call_or_404(data["call_sid"]))
        return self.conference_state(conference, status.HTTP_201_CREATED)


class ConferenceEnd(VoiceIngestView):
    @extend_schema(
        operation_id="IngestEndConference",
        request=None,
        responses={200: OpenApiTypes.OBJECT, 400: ERROR, 404: ERROR, 409: ERROR},
    )
    def post(self, request, conference):
        """Report that a conference ended: its recordings stop and await their audio."""
        conference = services.conference_end(conference=self.conference_or_404(conference))
        return self.conference_state(conference)


class RecordingAudio(VoiceIngestView):
    parser_classes = []  # the body is the audio file itself, read as a stream

    @extend_schema(
        operation_id="IngestUploadVoiceRecordingAudio",
        request={"application/octet-stream": bytes},
        responses={200: OpenApiTypes.OBJECT, 400: ERROR, 404: ERROR, 409: ERROR, 413: ERROR},
    )
    def put(self, request, sid):
        """Upload the audio captured over a stopped recording's whole span (channel 0 the
        inbound leg, channel 1 the outbound one; WAV, MP3, FLAC, Ogg, Matroska or WebM, MP4 or M4A,
        AAC, AMR, AIFF or CAF)."""
        # A deleted or completed recording is found, and refused by the service (409).
        recording = self.recording_or_404(sid, include_deleted=True)
        with uploaded_file(request) as path:
            recording = services.voice_recording_audio_ingest(recording=recording, path=path)
        return Response(recording_body(recording, base_url=""))
