"""Compositions Logs: the filtered list and its CSV export, one composition's details, its media
and its deletion. The list's paging, the CSV writer and the details' helpers are every kind's
(``recordings.lifecycle.views``)."""

import json
from operator import attrgetter
from typing import cast

from django.conf import settings
from django.db.models import QuerySet
from django.forms import Form
from django.http import Http404
from django.views.generic import TemplateView, View

from console.access import AccountPageMixin
from console.models import Account
from console.roles import Action
from console.services import Actor
from recordings.compositions import selectors, services
from recordings.compositions.api.serializers import CompositionSerializer
from recordings.compositions.choices import (
    CompositionStatus,
)
from recordings.compositions.filters import CompositionFilter
from recordings.compositions.forms import CompositionFilterForm
from recordings.compositions.kind import COMPOSITION
from recordings.compositions.media import media_url
from recordings.compositions.models import Composition
from recordings.lifecycle import selectors as lifecycle_selectors
from recordings.lifecycle.exceptions import RecordingStillProcessing
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

# A page showing a composition a worker is making reloads itself this often (seconds).
REFRESH_SECONDS = 2

NO_PLAYER_REASONS: dict[str, str] = {
    CompositionStatus.ENQUEUED: "This composition is waiting for a worker: it can be played once "
    "it has completed.",
    CompositionStatus.PROCESSING: "This composition is being made: it can be played once it has "
    "completed.",
    CompositionStatus.DELETED: "This composition was deleted: its media has been removed.",
}


def composition_or_404(account: Account, sid: str) -> Composition:
    """Return the account's composition with this SID; 404 for a foreign or unknown one."""
    composition = selectors.composition_get(account=account, sid=sid)
    if composition is None:
        raise Http404("No such composition")
    return composition


def filter_of(form: Form) -> CompositionFilter:
    """Return the filter of a valid Compositions Logs form."""
    return cast(CompositionFilterForm, form).filter()


class CompositionListView(AccountPageMixin, KeysetListMixin, TemplateView):
    """The Compositions Logs: filters in the URL, newest first, keyset pages."""

    action = Action.VIEW
    template_name = "compositions/list.html"
    filter_form_class = CompositionFilterForm
    extra_context = {"product": BulkDeletion.Product.COMPOSITION, "noun": "composition"}

    def matching(self, form: Form) -> QuerySet[Composition]:
        return selectors.composition_list(account=self.account, filter=filter_of(form))

    def for_display(self, qs: QuerySet[Composition]) -> QuerySet[Composition]:
        return qs.select_related("room")


class CompositionExportView(CsvExportView):
    """The Compositions Logs' filtered set as CSV."""

    filter_form_class = CompositionFilterForm
    list_url = "compositions:list"
    filename = "compositions"
    columns = {
        "date_created": attrgetter("date_created"),
        "sid": attrgetter("sid"),
        "room_sid": attrgetter("room_id"),
        "room_name": attrgetter("room.unique_name"),
        "status": attrgetter("status"),
        "format": attrgetter("format"),
        "resolution": attrgetter("resolution"),
        "duration": attrgetter("duration"),
        "size": attrgetter("size"),
        "date_completed": attrgetter("date_completed"),
        "date_deleted": attrgetter("date_deleted"),
    }

    def matching(self, form: Form) -> QuerySet[Composition]:
        return selectors.composition_list(
            account=self.account, filter=filter_of(form)
        ).select_related("room")


class CompositionDetailView(AccountPageMixin, TemplateView):
    """One composition: its fields, layout, player, callbacks and the API's JSON."""

    action = Action.VIEW
    template_name = "compositions/detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        composition = composition_or_404(self.account, kwargs["sid"])
        api_data = CompositionSerializer(
            composition, context={"base_url": api_base_url(self.request)}
        ).data
        context.update(
            composition=composition,
            **api_context(api_data, path=f"/v1/Compositions/{composition.sid}"),
            layout_json=json.dumps(composition.video_layout, indent=2),
            duration_text=human_duration(composition.duration),
            no_player_reason=NO_PLAYER_REASONS.get(composition.status, "")
            if not composition.has_media
            else "",
            in_flight=composition.status in selectors.IN_FLIGHT,
            refresh_seconds=REFRESH_SECONDS if composition.status in selectors.IN_FLIGHT else 0,
            deletable=COMPOSITION.can_delete(composition.status),
            trashed=trash_item_of(account=self.account, recording=composition),
            purge_date=purge_date(composition, COMPOSITION.retention_days),
            retention_days=COMPOSITION.retention_days,
            deliveries=lifecycle_selectors.callback_deliveries_for(
                account=self.account, recording_sid=composition.sid
            ),
            **held_context(COMPOSITION, account=self.account, sid=composition.sid),
        )
        return context


class CompositionMediaView(AccountPageMixin, View):
    """Redirect to a signed, expiring URL of the composed file (which answers Range requests)."""

    action = Action.PLAY

    def get(self, request, sid):
        composition = composition_or_404(self.account, sid)
        if not composition.has_media:
            raise Http404("This composition has no media")
        return media_redirect(
            media_url(
                composition,
                base_url=api_base_url(request),
                ttl=settings.MEDIA_URL_TTL_DEFAULT,
                disposition=disposition(request, f"{composition.sid}.{composition.format}"),
            )
        )


class CompositionDeleteView(lifecycle_views.RecordingDeleteView):
    kind = COMPOSITION
    namespace = "compositions"
    template_name = "compositions/delete_confirm.html"
    refused = RecordingStillProcessing
    refused_hint = ": try again once it has completed or failed"
    noun = "Composition"

    def recording_or_404(self, sid: str) -> Composition:
        return composition_or_404(self.account, sid)

    def delete(self, recording: object, actor: Actor) -> bool:
        return services.composition_delete(composition=cast(Composition, recording), actor=actor)
