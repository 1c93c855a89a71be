"""Console pages: legal holds (list, place, details, release), and what a held recording's pages
show. Any member sees the holds; only a role with MANAGE_HOLDS (owners) places or releases one."""

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.generic import FormView, TemplateView

from console.access import AccountPageMixin, actor_for
from console.forms import ConfirmForm
from console.models import Account
from console.roles import Action
from recordings.lifecycle import holds
from recordings.lifecycle.hold_forms import LegalHoldForm
from recordings.lifecycle.kinds import RecordingKind, kind_of
from recordings.lifecycle.models import LegalHold
from recordings.lifecycle.views.lists import KeysetListMixin

PAGE_SIZE = 50
# The list's ?status= → legal_hold_list's ``active``.
STATUSES = {"active": True, "released": False, "": None}


def held_context(kind: RecordingKind, *, account: Account, sid: str) -> dict[str, Any]:
    """Return what a recording's pages say of the holds on it: ``legal_holds``, oldest first."""
    return {"legal_holds": holds.holds_on(kind, account=account, sid=sid)}


class _HoldMixin(AccountPageMixin):
    def hold_or_404(self, sid: str) -> LegalHold:
        hold = holds.legal_hold_get(account=self.account, sid=sid)
        if hold is None:
            raise Http404("No such legal hold")
        return hold


# KeysetListMixin first: its paging is reused, but not its Logs filter form (holds have none).
class LegalHoldListView(KeysetListMixin, _HoldMixin, TemplateView):
    """The account's holds, newest first, active or released, keyset pages."""

    action = Action.VIEW
    template_name = "recordings/holds/list.html"

    def present(self, row: Any) -> None:
        row.in_words = holds.in_words(row)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super(KeysetListMixin, self).get_context_data(**kwargs)
        status = self.request.GET.get("status", "")
        active = STATUSES.get(status)
        qs = holds.legal_hold_list(account=self.account, active=active)
        return {**context, "status": status, **self.page_context(qs, PAGE_SIZE)}


class LegalHoldCreateView(_HoldMixin, FormView):
    """Place a hold; a Logs page's "Hold these" link opens it with its filter filled in."""

    action = Action.MANAGE_HOLDS
    template_name = "recordings/holds/create.html"
    form_class = LegalHoldForm

    def get_initial(self) -> dict[str, Any]:
        query = self.request.GET
        given = {k: query[k] for k in ("scope", "value", "product", "query") if k in query}
        if "product" in given and "scope" not in given:
            given["scope"] = LegalHold.Scope.FILTER
        return given

    def form_valid(self, form: LegalHoldForm) -> HttpResponse:
        hold = holds.legal_hold_create(
            account=self.account, actor=actor_for(self.request), **form.cleaned_data
        )
        messages.success(self.request, f"Legal hold {hold.sid} placed on {holds.in_words(hold)}.")
        return redirect("holds:detail", sid=hold.sid)


class LegalHoldDetailView(_HoldMixin, TemplateView):
    """One hold: what it covers in words, how many of each kind, who placed and released it."""

    action = Action.VIEW
    template_name = "recordings/holds/detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        hold = self.hold_or_404(str(kwargs["sid"]))
        counts = [(kind_of(name), n) for name, n in holds.hold_counts(hold).items()]
        return {**context, "hold": hold, "in_words": holds.in_words(hold), "counts": counts}


class LegalHoldReleaseView(_HoldMixin, TemplateView):
    """Release a hold in two steps: a confirmation page, then a POST."""

    action = Action.MANAGE_HOLDS
    template_name = "recordings/holds/release_confirm.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        hold = self.hold_or_404(str(kwargs["sid"]))
        return {**context, "hold": hold, "in_words": holds.in_words(hold), "form": ConfirmForm()}

    def post(self, request: HttpRequest, sid: str) -> HttpResponse:
        hold = self.hold_or_404(sid)
        if not ConfirmForm(request.POST).is_valid():
            messages.error(request, "Confirm the release with the Release button.")
            return redirect("holds:release", sid=hold.sid)
        try:
            holds.legal_hold_release(account=self.account, actor=actor_for(request), hold=hold)
        except holds.InvalidHold as exc:
            messages.info(request, exc.message)
        else:
            messages.success(
                request, f"Legal hold {hold.sid} was released: what it covered may be deleted."
            )
        return redirect("holds:detail", sid=hold.sid)
