"""Console pages: the trash (a tab per kind of recording, its on/off setting) and a restore."""

from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.generic import TemplateView, View

from console.access import AccountPageMixin, actor_for
from console.roles import Action
from recordings.lifecycle import trash
from recordings.lifecycle.kinds import RecordingKind, kind_of, kinds
from recordings.lifecycle.views.lists import KeysetListMixin

PAGE_SIZE = 50


class TrashSettingForm(forms.Form):
    enabled = forms.BooleanField(
        label="Keep deleted recordings in the trash",
        required=False,
        help_text="On changes what a delete means: the media is kept, and admins can restore "
        "the recording until the trash period ends (the API still answers deleted, media not "
        "found, as Twilio does). Off, the default: a delete removes the media at once.",
    )


def detail_url(kind: RecordingKind, sid: str) -> str:
    """Return the console page of one recording of this kind."""
    return reverse(kind.list_url_name.replace(":list", ":detail"), args=[sid])


def tab_url(kind_name: str) -> str:
    return f"{reverse('trash:list')}?kind={kind_name}"


# KeysetListMixin comes first so that its Logs filter form can be skipped: the trash has no
# filter but the tab, and only borrows its keyset pages and capped count.
class TrashView(KeysetListMixin, AccountPageMixin, TemplateView):
    """The account's trash, one kind per tab, newest first, with the trash's setting."""

    action = Action.MANAGE_RETENTION
    template_name = "recordings/trash/list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super(KeysetListMixin, self).get_context_data(**kwargs)
        every = list(kinds())
        kind = next((k for k in every if k.name == self.request.GET.get("kind")), every[0])
        page = self.page_context(trash.trash_list(account=self.account, kind=kind), PAGE_SIZE)
        rows = cast(list[Any], page["rows"])  # TrashedItems, given what their cells show
        described = trash.trash_descriptions(account=self.account, items=rows)
        for item in rows:
            item.description = described.get(item.sid, "")
            item.detail_url = detail_url(kind, item.sid)
        return {
            **context,
            **page,
            "kind": kind,
            "tabs": [(k, tab_url(k.name)) for k in every],
            "setting_form": TrashSettingForm(initial={"enabled": self.account.trash_enabled}),
            "trash_days": settings.TRASH_DAYS,
            # Said only when off: an empty trash of an account that never turned it on.
            "trash_empty": not self.account.trash_enabled
            and not trash.trash_list(account=self.account).exists(),
        }

    def present(self, row: Any) -> None:
        pass  # the rows' cells are filled in once the page is known (one query per page)


class TrashSettingView(AccountPageMixin, View):
    """Turn the account's trash on or off (POST only, CSRF-checked)."""

    action = Action.MANAGE_RETENTION

    def post(self, request: HttpRequest) -> HttpResponse:
        form = TrashSettingForm(request.POST)
        form.is_valid()  # a checkbox: absent is off, anything else on
        enabled = form.cleaned_data["enabled"]
        trash.account_trash_set(account=self.account, actor=actor_for(request), enabled=enabled)
        messages.success(
            request,
            f"The trash is on: deleted recordings keep their media {settings.TRASH_DAYS} days."
            if enabled
            else "The trash is off: a delete removes the media at once. Recordings already in "
            "the trash stay there until they expire.",
        )
        return redirect("trash:list")


class TrashRestoreView(AccountPageMixin, View):
    """Restore one of the account's trashed recordings (POST only, CSRF-checked), then go back
    to its details or to its tab of the trash."""

    action = Action.MANAGE_RETENTION

    def post(self, request: HttpRequest, sid: str) -> HttpResponse:
        item = trash.trash_get(account=self.account, sid=sid)
        if item is None:
            raise Http404
        kind = kind_of(item.kind)
        try:
            trash.trash_restore(account=self.account, actor=actor_for(request), sid=sid)
        except trash.NotInTrash as exc:
            messages.error(request, str(exc))
            return redirect(tab_url(kind.name))
        messages.success(
            request, f"{kind.noun.capitalize()} {sid} is restored as {item.previous_status}."
        )
        if request.POST.get("back") == "detail":
            return redirect(detail_url(kind, sid))
        return redirect(tab_url(kind.name))
