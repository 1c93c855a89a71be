"""Recordings Logs: the filtered list and its CSV export, one recording's details, its media and
its deletion. Handlers parse the request, call a selector or a service, and render; the list's
paging, the CSV writer and the details' helpers are every kind's (``recordings.lifecycle.views``).
"""

from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404
from django.views.generic import TemplateView, View

from console.access import AccountPageMixin
from console.roles import Action
from console.services import Actor
from recordings.lifecycle import selectors as lifecycle_selectors
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
from recordings.video import playback, selectors, services
from recordings.video.api.serializers import RecordingSerializer
from recordings.video.choices import MediaType, RecordingStatus
from recordings.video.forms import RecordingFilterForm
from recordings.video.kind import VIDEO
from recordings.video.media import media_url
from recordings.video.models import Recording


def recording_or_404(account, sid: str) -> Recording:
    """Return the account's recording with this SID; 404 for a foreign or unknown one."""
    recording = selectors.recording_get(account=account, sid=sid)
    if recording is None:
        raise Http404("No such recording")
    return recording


class RecordingListView(AccountPageMixin, KeysetListMixin, TemplateView):
    """The Recordings Logs: filters in the URL, newest first, keyset pages."""

    action = Action.VIEW
    template_name = "recordings/list.html"
    filter_form_class = RecordingFilterForm
    extra_context = {"product": BulkDeletion.Product.VIDEO}

    def matching(self, form: RecordingFilterForm) -> QuerySet[Recording]:
        return selectors.recording_list(account=self.account, filter=form.filter())

    def for_display(self, qs: QuerySet[Recording]) -> QuerySet[Recording]:
        return qs.select_related("room", "participant")


class RecordingExportView(CsvExportView):
    """The Recordings Logs' filtered set as CSV."""

    filter_form_class = RecordingFilterForm
    list_url = "recordings:list"
    filename = "recordings"
    columns = {
        "date_created": lambda r: r.date_created,
        "sid": lambda r: r.sid,
        "room_sid": lambda r: r.room_id,
        "room_name": lambda r: r.room.unique_name,
        "participant_sid": lambda r: r.participant_id,
        "participant_identity": lambda r: r.participant.identity,
        "track_name": lambda r: r.track_name,
        "type": lambda r: r.type,
        "codec": lambda r: r.codec,
        "container_format": lambda r: r.container_format,
        "duration": lambda r: r.duration,
        "size": lambda r: r.size,
        "status": lambda r: r.status,
        "date_deleted": lambda r: r.date_deleted,
    }

    def matching(self, form: RecordingFilterForm) -> QuerySet[Recording]:
        return selectors.recording_list(account=self.account, filter=form.filter()).select_related(
            "room", "participant"
        )


class RecordingDetailView(AccountPageMixin, TemplateView):
    """One recording: its fields, the API's JSON, the player, callbacks, and what comes next."""

    action = Action.VIEW
    template_name = "recordings/detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        recording = recording_or_404(self.account, kwargs["sid"])
        api_data = RecordingSerializer(
            recording, context={"base_url": api_base_url(self.request)}
        ).data
        context.update(
            recording=recording,
            **api_context(api_data, path=f"/v1/Recordings/{recording.sid}"),
            duration_text=human_duration(recording.duration),
            player=("video" if recording.type == MediaType.VIDEO else "audio")
            if recording.has_media
            else None,
            no_player_reason=self.no_player_reason(recording),
            **self.playback_context(recording, context["can"]),
            trashed=trash_item_of(account=self.account, recording=recording),
            purge_date=purge_date(recording, settings.RECORDING_RETENTION_DAYS),
            retention_days=settings.RECORDING_RETENTION_DAYS,
            deliveries=lifecycle_selectors.callback_deliveries_for(
                account=self.account, recording_sid=recording.sid
            ),
            **held_context(VIDEO, account=self.account, sid=recording.sid),
        )
        return context

    @staticmethod
    def playback_context(recording: Recording, can: dict) -> dict:
        """Give the player its rendition's type, made now if it is missing, or say why there is
        none; only for a role that may play it, and not for encrypted media (explained apart)."""
        if not (can.get(Action.PLAY) and recording.has_media and not recording.encryption_key):
            return {}
        return {
            "playback_type": playback.content_type(recording),
            "playback_problem": playback.unplayable_reason(recording),
        }

    @staticmethod
    def no_player_reason(recording: Recording) -> str:
        """Say why a recording has no media to play (empty when it has)."""
        if recording.has_media:
            return ""
        return {
            RecordingStatus.PROCESSING: "This recording is still processing: it can be played "
            "once the media server has delivered its file.",
            RecordingStatus.FAILED: "This recording failed, so there is no media to play.",
            RecordingStatus.DELETED: "This recording was deleted: its media has been removed.",
        }.get(recording.status, "The media file of this recording is not available.")


class RecordingMediaView(AccountPageMixin, View):
    """Redirect to a signed, expiring URL of the media (which answers Range requests)."""

    action = Action.PLAY

    def get(self, request, sid):
        recording = recording_or_404(self.account, sid)
        if not recording.has_media:
            raise Http404("This recording has no media")
        return media_redirect(
            media_url(
                recording,
                base_url=api_base_url(request),
                ttl=settings.MEDIA_URL_TTL_DEFAULT,
                disposition=disposition(request, f"{recording.sid}.{recording.container_format}"),
            )
        )


class RecordingPlaybackView(AccountPageMixin, View):
    """Redirect the console's player to a signed, expiring URL of the recording's playable
    rendition (made first if it is missing); 404 when it has none."""

    action = Action.PLAY

    def get(self, request, sid):
        recording = recording_or_404(self.account, sid)
        url = playback.playback_url(recording, base_url=api_base_url(request))
        if url is None:
            raise Http404("This recording cannot be played")
        return media_redirect(url)


class RecordingDeleteView(lifecycle_views.RecordingDeleteView):
    kind = VIDEO
    namespace = "recordings"
    template_name = "recordings/delete_confirm.html"
    refused = services.RecordingStillProcessing
    refused_hint = ": try again once it has completed or failed"

    def recording_or_404(self, sid: str) -> Recording:
        return recording_or_404(self.account, sid)

    def delete(self, recording: Recording, actor: Actor) -> bool:
        return services.recording_delete(recording=recording, actor=actor)
