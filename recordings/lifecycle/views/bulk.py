"""Bulk deletion pages: select (first POST, confirmation page), create (second POST, then the job),
its progress, and the account's recent bulk deletions. A selection is of one kind of recording
(``product``), posted from that kind's Logs page and sent back to it; every page says it in words
(``bulk.selection_in_words``). A deletion of more than ``bulk.CONFIRM_BY_TYPING_ABOVE`` recordings
is confirmed by typing their number, which the service checks."""

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.views.generic import TemplateView

from console.access import AccountPageMixin, actor_for
from console.forms import ConfirmForm
from console.roles import Action
from recordings.lifecycle import bulk, holds
from recordings.lifecycle.kinds import kind_of
from recordings.lifecycle.models import BulkDeletion
from recordings.lifecycle.trash import trash_days

SAMPLE_SIZE = 20


class _SidsField(forms.Field):
    """Every value of a repeated field (checked rows); the service checks each SID."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[str]:
        return [str(v) for v in value] if value else []


class BulkSelectionForm(forms.Form):
    """What a Logs page posts: its ``product``, and checked rows (``sid``) or ``all`` with the
    filter's ``query``."""

    product = forms.ChoiceField(
        required=False, choices=BulkDeletion.Product.choices, widget=forms.HiddenInput
    )
    sid = _SidsField(required=False)
    all = forms.BooleanField(required=False, widget=forms.HiddenInput)
    query = forms.CharField(required=False, strip=False, max_length=4000, widget=forms.HiddenInput)

    def clean_product(self) -> str:
        # Selections posted before voice recordings existed carry no product: they are video.
        return self.cleaned_data["product"] or BulkDeletion.Product.VIDEO

    def selection(self) -> dict:
        """Return the service's ``product``/``query``/``sids`` keywords; "all matching" wins
        over rows."""
        product = self.cleaned_data["product"]
        if self.cleaned_data["all"]:
            return {"product": product, "query": self.cleaned_data["query"], "sids": None}
        return {"product": product, "query": None, "sids": self.cleaned_data["sid"]}


class BulkConfirmForm(ConfirmForm):
    """The confirmation, with the number of recordings typed where the service asks for it."""

    count = forms.IntegerField(
        required=False,
        min_value=0,
        label="Type the number of recordings to delete",
        widget=forms.NumberInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )


def _logs_url(product: str = BulkDeletion.Product.VIDEO, query: str | None = "") -> str:
    """Return a product's Logs page (with its filter), or the bulk list where it is not routed."""
    try:
        url = reverse(kind_of(product).list_url_name)
    except NoReverseMatch:
        return reverse("bulk:list")
    return f"{url}?{query}" if query else url


class BulkSelectView(AccountPageMixin, TemplateView):
    """Show what a selection would delete: the exact count, the first rows, and a confirm form."""

    action = Action.DELETE
    http_method_names = ["post"]
    template_name = "recordings/bulk_confirm.html"

    def post(self, request, *args, **kwargs):
        return self.confirmation(BulkSelectionForm(request.POST))

    def confirmation(
        self,
        form: BulkSelectionForm,
        confirm_form: BulkConfirmForm | None = None,
        status: int = 200,
    ) -> HttpResponse:
        """Render the confirmation page of a selection, or go back to the Logs with why not."""
        if not form.is_valid():
            messages.error(self.request, "That selection could not be read.")
            return redirect(_logs_url())
        selection = form.selection()
        logs_url = _logs_url(selection["product"], selection["query"])
        try:
            matching = bulk.bulk_selection(account=self.account, **selection)
        except bulk.InvalidBulkSelection as exc:
            messages.error(self.request, exc.message)
            return redirect(logs_url)
        count = matching.count()
        held = holds.held_q(kind_of(selection["product"]), account=self.account)
        context = self.get_context_data(
            count=count,
            held=matching.filter(held).count() if held is not None else 0,
            trash_days=trash_days(self.account),
            sample=list(matching[:SAMPLE_SIZE]),
            selection_form=form,
            confirm_form=confirm_form or BulkConfirmForm(),
            type_count=count > bulk.CONFIRM_BY_TYPING_ABOVE,
            type_above=bulk.CONFIRM_BY_TYPING_ABOVE,
            product=selection["product"],
            noun=kind_of(selection["product"]).noun,
            in_words=bulk.selection_in_words(**selection),
            cancel_url=logs_url,
        )
        return self.render_to_response(context, status=status)


class BulkCreateView(BulkSelectView):
    """Create the bulk deletion the confirmation page showed, then show its progress (PRG)."""

    def post(self, request, *args, **kwargs):
        form, confirm_form = BulkSelectionForm(request.POST), BulkConfirmForm(request.POST)
        if not confirm_form.is_valid() or not form.is_valid():
            messages.error(request, "Confirm the deletion to go ahead.")
            return self.confirmation(form, confirm_form, status=400)
        selection = form.selection()
        try:
            job = bulk.bulk_deletion_create(
                account=self.account,
                actor=actor_for(request),
                typed_count=confirm_form.cleaned_data["count"],
                **selection,
            )
        except bulk.CountNotConfirmed as exc:
            confirm_form.add_error("count", exc.message)
            return self.confirmation(form, confirm_form, status=400)
        except bulk.InvalidBulkSelection as exc:
            messages.error(request, exc.message)
            return redirect(_logs_url(selection["product"], selection["query"]))
        messages.success(request, f"Deleting {job.total} {bulk.product_noun(job.product)}.")
        return redirect("bulk:progress", pk=job.pk)


class BulkProgressView(AccountPageMixin, TemplateView):
    """Show how far a bulk deletion is; the page refreshes itself until the job stops."""

    action = Action.VIEW
    template_name = "recordings/bulk_progress.html"

    def get_context_data(self, **kwargs):
        job = bulk.bulk_deletion_get(account=self.account, pk=self.kwargs["pk"])
        if job is None:
            raise Http404("No such bulk deletion")
        return super().get_context_data(
            job=job,
            in_words=bulk.bulk_in_words(job),
            logs_url=_logs_url(job.product),
            noun=kind_of(job.product).noun,
            **kwargs,
        )


class BulkListView(AccountPageMixin, TemplateView):
    """List the account's recent bulk deletions."""

    action = Action.VIEW
    template_name = "recordings/bulk_list.html"

    def get_context_data(self, **kwargs):
        jobs = [
            (job, bulk.bulk_in_words(job)) for job in bulk.bulk_deletion_list(account=self.account)
        ]
        return super().get_context_data(jobs=jobs, **kwargs)
