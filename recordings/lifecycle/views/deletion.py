"""The page that deletes one recording, for every kind: a confirmation, then a POST through the
kind's delete service (the one soft delete of ``lifecycle.deletion``)."""

from typing import Protocol

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.generic import TemplateView

from console.access import AccountPageMixin, actor_for
from console.forms import ConfirmForm
from console.roles import Action
from console.services import Actor
from recordings.lifecycle.exceptions import RecordingHeld, ServiceError
from recordings.lifecycle.kinds import RecordingKind
from recordings.lifecycle.trash import trash_days
from recordings.lifecycle.views.holds import held_context


class _Recording(Protocol):
    pk: str
    status: str


class RecordingDeleteView(AccountPageMixin, TemplateView):
    """Delete one recording in two steps: a confirmation page, then a POST.

    A kind's page names the kind, its URL namespace, the error its delete service refuses with
    and what the user may do then, and how a recording of the account is found (404 otherwise).
    """

    action = Action.DELETE
    kind: RecordingKind
    namespace: str
    refused: type[ServiceError]
    refused_hint = ""
    noun = "Recording"  # what the messages call it

    def recording_or_404(self, sid: str) -> _Recording:
        raise NotImplementedError

    def delete(self, recording: _Recording, actor: Actor) -> bool:
        raise NotImplementedError

    def get_context_data(self, **kwargs: object) -> dict[str, object]:
        context = super().get_context_data(**kwargs)
        recording = self.recording_or_404(str(kwargs["sid"]))
        context.update(
            recording=recording,
            form=ConfirmForm(),
            retention_days=self.kind.retention_days,
            deletable=self.kind.can_delete(recording.status),
            trash_days=trash_days(self.account),
            **held_context(self.kind, account=self.account, sid=recording.pk),
        )
        return context

    def post(self, request: HttpRequest, sid: str) -> HttpResponse:
        recording = self.recording_or_404(sid)
        if not ConfirmForm(request.POST).is_valid():
            messages.error(request, "Confirm the deletion with the Delete button.")
            return redirect(f"{self.namespace}:delete", sid=recording.pk)
        try:
            deleted = self.delete(recording, actor_for(request))
        except self.refused as exc:
            messages.error(request, f"{exc.message}. Nothing was changed{self.refused_hint}.")
            return redirect(f"{self.namespace}:detail", sid=recording.pk)
        except RecordingHeld as exc:
            messages.error(request, f"{exc.message}. Nothing was changed.")
            return redirect(f"{self.namespace}:detail", sid=recording.pk)
        if deleted:
            messages.success(request, f"{self.noun} {recording.pk} was deleted.")
        else:
            messages.info(request, f"{self.noun} {recording.pk} was already deleted.")
        return redirect(f"{self.namespace}:detail", sid=recording.pk)
