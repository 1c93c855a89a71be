"""The 2010-04-01 Recording endpoints (seed 003). Each handler parses input, calls a selector or a
service, and renders. The account in the path must be the caller's: any other answers 404, as an
unknown SID does.
"""

from collections.abc import Callable

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from console.roles import Action
from recordings.twilio_api import keyset
from recordings.twilio_api.errors import not_found
from recordings.twilio_api.paging import api_base_url, page_fields, parse_page_request
from recordings.twilio_api.params import require_valid
from recordings.twilio_api.renderers import TwilioXMLRenderer
from recordings.twilio_api.views import (
    ERROR,
    PAGING_PARAMETERS,
    REDIRECT,
    TwilioAPIView,
    actor_of,
)
from recordings.voice import media, services
from recordings.voice import selectors as voice_selectors
from recordings.voice.api import params
from recordings.voice.api.schema import (
    V2010CallRecording,
    V2010ConferenceRecording,
    V2010Recording,
    V2010Transcription,
    page_of,
)
from recordings.voice.api.serializers import (
    call_recording_body,
    conference_recording_body,
    recording_body,
    transcription_body,
)
from recordings.voice.choices import PauseBehavior, RecordingSource
from recordings.voice.models import VoiceRecording

CURRENT = "Twilio.CURRENT"
# Bodies are built by plain functions (serializers.py) and checked against Twilio's own schema in
# the tests, so our schema describes them only as objects.
INCLUDE_SOFT_DELETED = OpenApiParameter("IncludeSoftDeleted", bool)
LIST_PARAMETERS = [
    OpenApiParameter("DateCreated", str, description="YYYY-MM-DD (that day) or a date-time"),
    OpenApiParameter("DateCreated<", str, description="On or before (a date counts whole)"),
    OpenApiParameter("DateCreated>", str, description="On or after"),
    OpenApiParameter("CallSid", str),
    OpenApiParameter("ConferenceSid", str),
    INCLUDE_SOFT_DELETED,
    *PAGING_PARAMETERS,
]


class VoiceLookups:
    """The caller's calls, conferences and voice recordings by SID, or a Twilio 404 (foreign and
    unknown alike): shared by the 2010-04-01 API and the telephony ingest views."""

    def recording_or_404(self, sid: str, *, include_deleted: bool = False, **scope):
        recording = voice_selectors.voice_recording_get(
            account=self.account, sid=sid, include_deleted=include_deleted, **scope
        )
        if recording is None:
            raise not_found(self.request.path)
        return recording

    def call_or_404(self, call_sid: str):
        call = voice_selectors.call_get(account=self.account, sid=call_sid)
        if call is None:
            raise not_found(self.request.path)
        return call

    def conference_or_404(self, conference_sid: str):
        conference = voice_selectors.conference_get(account=self.account, sid=conference_sid)
        if conference is None:
            raise not_found(self.request.path)
        return conference


class VoiceAPIView(VoiceLookups, TwilioAPIView):
    """Base of every 2010-04-01 view: the path's AccountSid must be the caller's account."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if kwargs.get("account_sid") != self.account.sid:
            raise not_found(request.path)

    def paged(self, qs: QuerySet, *, key: str, render: Callable, filter_names=()) -> Response:
        """Answer one keyset page of ``qs`` in the 2010-04-01 list format."""
        paging = parse_page_request(self.request)
        page = keyset.keyset_page(qs, page_size=paging.page_size, cursor=paging.cursor)
        fields = page_fields(self.request, filter_names=filter_names, paging=paging, page=page)
        return Response({key: [render(row) for row in page.rows], **fields})

    def list_recordings(self, render: Callable, **scope) -> Response:
        wanted = params.recording_filter(self.request.query_params, **scope)
        return self.paged(
            voice_selectors.voice_recording_list(account=self.account, filter=wanted),
            key="recordings",
            render=render,
            filter_names=params.LIST_FILTERS,
        )

    def update(self, recording: VoiceRecording, render: Callable) -> Response:
        data = require_valid(params.UpdateRecordingParams(data=self.request.data)).validated_data
        recording = services.voice_recording_update(
            recording=recording,
            status=data["Status"],
            pause_behavior=data.get("PauseBehavior", PauseBehavior.SILENCE),
        )
        return Response(render(recording, in_flight=True))

    def delete_recording(self, recording: VoiceRecording) -> Response:
        services.voice_recording_delete(recording=recording, actor=actor_of(self.request))
        return Response(status=status.HTTP_204_NO_CONTENT)

    def body(self, recording: VoiceRecording) -> dict[str, object]:
        return recording_body(recording, base_url=api_base_url(self.request))


class RecordingList(VoiceAPIView):
    @extend_schema(
        operation_id="V2010ListRecording",
        parameters=LIST_PARAMETERS,
        responses={200: page_of("V2010RecordingPage", "recordings", V2010Recording), 400: ERROR},
    )
    def get(self, request, account_sid):
        """Read the account's recordings (DateCreated, CallSid, ConferenceSid filters)."""
        return self.list_recordings(self.body)


class RecordingInstance(VoiceAPIView):
    @extend_schema(
        operation_id="V2010FetchRecording",
        parameters=[INCLUDE_SOFT_DELETED],
        responses={200: V2010Recording, 404: ERROR},
    )
    def get(self, request, account_sid, sid, ext):
        """Fetch a recording's metadata."""
        include = params.include_soft_deleted(request.query_params)
        return Response(self.body(self.recording_or_404(sid, include_deleted=include)))

    @extend_schema(
        operation_id="V2010DeleteRecording", responses={204: None, 404: ERROR, 409: ERROR}
    )
    def delete(self, request, account_sid, sid, ext):
        """Delete a completed recording: its audio now, its metadata after 40 days."""
        return self.delete_recording(self.recording_or_404(sid))


class RecordingXML(RecordingInstance):
    xml_root = "Recording"
    http_method_names = ["get", "head", "options"]

    def perform_content_negotiation(self, request, force=False):
        # XML whatever the Accept header says (the helper library sends application/json), and
        # errors on an .xml URL are XML too.
        renderer = TwilioXMLRenderer()
        return renderer, renderer.media_type

    @extend_schema(
        operation_id="V2010FetchRecordingXML",
        parameters=[INCLUDE_SOFT_DELETED],
        responses={(200, "application/xml"): OpenApiTypes.STR, 404: ERROR},
    )
    def get(self, request, account_sid, sid, ext):
        """Fetch a recording's metadata as XML."""
        return super().get(request, account_sid, sid, ext)


class RecordingMedia(VoiceAPIView):
    required_action = Action.PLAY

    @extend_schema(
        parameters=[OpenApiParameter("RequestedChannels", int, enum=[1, 2])],
        responses={302: REDIRECT, 400: ERROR, 404: ERROR},
    )
    def get(self, request, account_sid, sid, ext):
        """Redirect to the recording's audio as WAV (no extension or .wav) or MP3, in the
        channels asked for (its own by default), through a signed, expiring URL."""
        format = ext
        recording = self.recording_or_404(sid)
        channels = params.requested_channels(request.query_params, recording.channels)
        # Seed 003: not completed, not stored, or two channels never recorded: Not Found.
        if not recording.has_media or channels > recording.channels:
            raise not_found(request.path)
        url = media.rendition_url(
            recording,
            format=format,
            channels=channels,
            base_url=api_base_url(request),
            disposition=f'inline; filename="{recording.sid}.{format}"',
        )
        return Response(
            {"redirect_to": url}, status=status.HTTP_302_FOUND, headers={"Location": url}
        )


class TranscriptionList(VoiceAPIView):
    @extend_schema(
        operation_id="V2010ListRecordingTranscription",
        parameters=PAGING_PARAMETERS,
        responses={
            200: page_of("V2010TranscriptionPage", "transcriptions", V2010Transcription),
            404: ERROR,
        },
    )
    def get(self, request, account_sid, sid):
        """Read a recording's transcriptions."""
        recording = self.recording_or_404(sid)
        return self.paged(
            voice_selectors.transcription_list(recording=recording),
            key="transcriptions",
            render=transcription_body,
        )


class TranscriptionInstance(VoiceAPIView):
    @extend_schema(
        operation_id="V2010FetchRecordingTranscription",
        responses={200: V2010Transcription, 404: ERROR},
    )
    def get(self, request, account_sid, recording_sid, sid):
        """Fetch one of a recording's transcriptions."""
        recording = self.recording_or_404(recording_sid)
        transcription = voice_selectors.transcription_list(recording=recording).filter(sid=sid)
        transcription = transcription.first()
        if transcription is None:
            raise not_found(request.path)
        return Response(transcription_body(transcription))


class CallRecordingList(VoiceAPIView):
    @extend_schema(
        operation_id="V2010ListCallRecording",
        parameters=LIST_PARAMETERS,
        responses={
            200: page_of("V2010CallRecordingPage", "recordings", V2010CallRecording),
            400: ERROR,
            404: ERROR,
        },
    )
    def get(self, request, account_sid, call_sid):
        """Read a call's recordings."""
        call = self.call_or_404(call_sid)
        return self.list_recordings(call_recording_body, call_sid=call.sid)

    @extend_schema(
        operation_id="V2010CreateCallRecording",
        request=params.CreateCallRecordingParams,
        responses={201: V2010CallRecording, 400: ERROR, 404: ERROR},
    )
    def post(self, request, account_sid, call_sid):
        """Start recording a call in progress."""
        call = self.call_or_404(call_sid)
        options = require_valid(params.CreateCallRecordingParams(data=request.data))
        recording = services.voice_recording_start(
            call=call, source=RecordingSource.START_CALL_RECORDING_API, **options.service_kwargs()
        )
        return Response(
            call_recording_body(recording, in_flight=True), status=status.HTTP_201_CREATED
        )


class CallRecordingInstance(VoiceAPIView):
    def recording(self, call_sid: str, sid: str) -> VoiceRecording:
        call = self.call_or_404(call_sid)
        if sid == CURRENT and self.request.method == "POST":
            return services.voice_recording_current(call=call)
        return self.recording_or_404(sid, call_sid=call.sid)

    @extend_schema(
        operation_id="V2010FetchCallRecording", responses={200: V2010CallRecording, 404: ERROR}
    )
    def get(self, request, account_sid, call_sid, sid):
        """Fetch one of a call's recordings."""
        return Response(call_recording_body(self.recording(call_sid, sid)))

    @extend_schema(
        operation_id="V2010UpdateCallRecording",
        request=params.UpdateRecordingParams,
        responses={200: V2010CallRecording, 400: ERROR, 404: ERROR},
    )
    def post(self, request, account_sid, call_sid, sid):
        """Pause, resume or stop a call recording (``Twilio.CURRENT`` for its only one)."""
        return self.update(self.recording(call_sid, sid), call_recording_body)

    @extend_schema(
        operation_id="V2010DeleteCallRecording", responses={204: None, 404: ERROR, 409: ERROR}
    )
    def delete(self, request, account_sid, call_sid, sid):
        """Delete one of a call's completed recordings."""
        return self.delete_recording(self.recording(call_sid, sid))


class ConferenceRecordingList(VoiceAPIView):
    @extend_schema(
        operation_id="V2010ListConferenceRecording",
        parameters=LIST_PARAMETERS,
        responses={
            200: page_of("V2010ConferenceRecordingPage", "recordings", V2010ConferenceRecording),
            400: ERROR,
            404: ERROR,
        },
    )
    def get(self, request, account_sid, conference_sid):
        """Read a conference's recordings."""
        conference = self.conference_or_404(conference_sid)
        return self.list_recordings(conference_recording_body, conference_sid=conference.sid)


class ConferenceRecordingInstance(VoiceAPIView):
    def recording(self, conference_sid: str, sid: str) -> VoiceRecording:
        conference = self.conference_or_404(conference_sid)
        if sid == CURRENT and self.request.method == "POST":
            return services.voice_recording_current(conference=conference)
        return self.recording_or_404(sid, conference_sid=conference.sid)

    @extend_schema(
        operation_id="V2010FetchConferenceRecording",
        responses={200: V2010ConferenceRecording, 404: ERROR},
    )
    def get(self, request, account_sid, conference_sid, sid):
        """Fetch one of a conference's recordings."""
        return Response(conference_recording_body(self.recording(conference_sid, sid)))

    @extend_schema(
        operation_id="V2010UpdateConferenceRecording",
        request=params.UpdateRecordingParams,
        responses={200: V2010ConferenceRecording, 400: ERROR, 404: ERROR},
    )
    def post(self, request, account_sid, conference_sid, sid):
        """Pause or resume a conference recording (stopping one is refused, seed 003)."""
        return self.update(self.recording(conference_sid, sid), conference_recording_body)

    @extend_schema(
        operation_id="V2010DeleteConferenceRecording",
        responses={204: None, 404: ERROR, 409: ERROR},
    )
    def delete(self, request, account_sid, conference_sid, sid):
        """Delete one of a conference's completed recordings."""
        return self.delete_recording(self.recording(conference_sid, sid))
