"""Voice Recordings Logs: the filtered list and its CSV export, one recording's details, its
audio and its deletion. Handlers parse the request, call a selector or a service, and render; the
list's paging, the CSV writer and the details' helpers are every kind's
(``recordings.lifecycle.views``).
"""

from urllib.parse import urlencode

from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404
from django.views.generic import TemplateView, View

from console.access import AccountPageMixin
from console.roles import Action
from console.services import Actor
from recordings.lifecycle import selectors as lifecycle_selectors
from recordings.lifecycle.exceptions import RecordingNotDeletable
from recordings.lifecycle.models import BulkDeletion
from recordings.lifecycle.trash import trash_item_of
from recordings.lifecycle.views import deletion as lifecycle_views
from recordings.lifecycle.views.holds import held_context
from recordings.lifecycle.views.lists import (
    CsvExportView,
    KeysetListMixin,
    api_context,
    human_duration,
    purge_date,
)
from recordings.media.views import disposition, media_redirect
from recordings.twilio_api.paging import api_base_url
from recordings.voice import media, services
from recordings.voice import selectors as voice_selectors
from recordings.voice.api.serializers import recording_body
from recordings.voice.choices import (
    ABSENT_SILENT,
    ABSENT_TOO_SHORT,
    MEDIA_TYPES,
    VoiceRecordingStatus,
)
from recordings.voice.forms import VoiceRecordingFilterForm
from recordings.voice.kind import VOICE
from recordings.voice.models import VoiceRecording

# The ?channels= values of the media route; more than the recording has is Not Found.
CHANNELS = {"1": 1, "2": 2}
LAYOUT_NAMES = {1: "mono", 2: "dual"}


def voice_recording_or_404(account, sid: str) -> VoiceRecording:
    """Return the account's voice recording with this SID; 404 for a foreign or unknown one."""
    recording = voice_selectors.voice_recording_get(account=account, sid=sid)
    if recording is None:
        raise Http404("No such recording")
    return recording


def downloads(recording: VoiceRecording) -> list[tuple[str, str]]:
    """Return the (label, media query) of each file a recording downloads as: WAV and MP3, and
    for a two-channel recording each of them in dual and in mono."""
    layouts = (2, 1) if recording.channels == 2 else (1,)
    return [
        (
            f"{fmt.upper()} ({LAYOUT_NAMES[channels]})" if recording.channels == 2 else fmt.upper(),
            urlencode({"format": fmt, "channels": channels, "download": 1}),
        )
        for fmt in MEDIA_TYPES
        for channels in layouts
    ]


def no_player_reason(recording: VoiceRecording) -> str:
    """Say why a recording has no audio to play (empty when it has)."""
    if recording.has_media:
        return ""
    if recording.status == VoiceRecordingStatus.PROCESSING:
        return (
            "This recording is still processing: it can be played once the call's audio has "
            "been uploaded."
        )
    if recording.status == VoiceRecordingStatus.ABSENT:
        if recording.error_code is None:
            return "This recording is absent: no audio arrived after it stopped."
        why = {
            ABSENT_TOO_SHORT: "less than a second of audio was left once it was cut",
            ABSENT_SILENT: "the call was silent, so nothing audible was left",
        }.get(recording.error_code, "no audio was left")
        return f"This recording is absent (error {recording.error_code}): {why}."
    if recording.status == VoiceRecordingStatus.DELETED:
        purged = purge_date(recording, settings.VOICE_RECORDING_RETENTION_DAYS)
        return (
            "This recording was deleted: its audio has been removed, and its details are "
            f"purged on {purged:%Y-%m-%d}."
        )
    return "The audio of this recording is not available."


class VoiceRecordingListView(AccountPageMixin, KeysetListMixin, TemplateView):
    """The Voice Recordings Logs: filters in the URL, newest first, keyset pages."""

    action = Action.VIEW
    template_name = "recordings/voice/list.html"
    filter_form_class = VoiceRecordingFilterForm
    extra_context = {"product": BulkDeletion.Product.VOICE}

    def matching(self, form: VoiceRecordingFilterForm) -> QuerySet[VoiceRecording]:
        return voice_selectors.voice_recording_list(account=self.account, filter=form.filter())

    def present(self, row: VoiceRecording) -> None:
        super().present(row)
        row.purge_date = purge_date(row, settings.VOICE_RECORDING_RETENTION_DAYS)


class VoiceRecordingExportView(CsvExportView):
    """The Voice Recordings Logs' filtered set as CSV, with the 2010-04-01 API's field names."""

    filter_form_class = VoiceRecordingFilterForm
    list_url = "voice:list"
    filename = "voice-recordings"
    columns = {
        "date_created": lambda r: r.date_created,
        "sid": lambda r: r.sid,
        "call_sid": lambda r: r.call_id,
        "conference_sid": lambda r: r.conference_id,
        "source": lambda r: r.source,
        "channels": lambda r: r.channels,
        "track": lambda r: r.track,
        "trim": lambda r: r.trim,
        "start_time": lambda r: r.start_time,
        "duration": lambda r: r.duration,
        "price": lambda r: r.price,
        "price_unit": lambda r: r.price_unit,
        "error_code": lambda r: r.error_code,
        "status": lambda r: r.status,
        "date_deleted": lambda r: r.date_deleted,
    }

    def matching(self, form: VoiceRecordingFilterForm) -> QuerySet[VoiceRecording]:
        return voice_selectors.voice_recording_list(account=self.account, filter=form.filter())


class VoiceRecordingDetailView(AccountPageMixin, TemplateView):
    """One voice recording: its fields, the API's JSON, the player and downloads, its pauses,
    its status callbacks, and why it cannot be played when it cannot."""

    action = Action.VIEW
    template_name = "recordings/voice/detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        recording = voice_recording_or_404(self.account, kwargs["sid"])
        body = recording_body(recording, base_url=api_base_url(self.request))
        context.update(
            recording=recording,
            **api_context(body, path=body["uri"]),
            duration_text=human_duration(recording.duration),
            downloads=downloads(recording) if recording.has_media else [],
            no_player_reason=no_player_reason(recording),
            trashed=trash_item_of(account=self.account, recording=recording),
            purge_date=purge_date(recording, settings.VOICE_RECORDING_RETENTION_DAYS),
            retention_days=settings.VOICE_RECORDING_RETENTION_DAYS,
            deliveries=lifecycle_selectors.callback_deliveries_for(
                account=self.account, recording_sid=recording.sid
            ),
            **held_context(VOICE, account=self.account, sid=recording.sid),
        )
        return context


class VoiceRecordingMediaView(AccountPageMixin, View):
    """Redirect to a signed, expiring URL of the audio as ?format=wav|mp3 in ?channels=1|2 (the
    recording's own by default), transcoded on the first request for it only."""

    action = Action.PLAY

    def get(self, request, sid):
        recording = voice_recording_or_404(self.account, sid)
        fmt = request.GET.get("format", "wav")
        channels = CHANNELS.get(request.GET.get("channels", str(recording.channels)))
        if not recording.has_media:
            raise Http404("This recording has no audio")
        if fmt not in MEDIA_TYPES or channels is None or channels > recording.channels:
            raise Http404("This recording has no such audio file")
        layout = "" if channels == recording.channels else f"-{LAYOUT_NAMES[channels]}"
        return media_redirect(
            media.rendition_url(
                recording,
                format=fmt,
                channels=channels,
                base_url=api_base_url(request),
                disposition=disposition(request, f"{recording.sid}{layout}.{fmt}"),
            )
        )


class VoiceRecordingDeleteView(lifecycle_views.RecordingDeleteView):
    kind = VOICE
    namespace = "voice"
    template_name = "recordings/voice/delete_confirm.html"
    refused = RecordingNotDeletable

    def recording_or_404(self, sid: str) -> VoiceRecording:
        return voice_recording_or_404(self.account, sid)

    def delete(self, recording: VoiceRecording, actor: Actor) -> bool:
        return services.voice_recording_delete(recording=recording, actor=actor)
