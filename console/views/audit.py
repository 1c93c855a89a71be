"""The audit log: who did what to which object, when, from which address; filterable, paged."""

from datetime import UTC, datetime, time, timedelta
from urllib.parse import urlencode

from django import forms
from django.urls import reverse
from django.views.generic import TemplateView

from console import selectors
from console.access import AccountPageMixin
from console.audit_export import (
    AUDIT_FAMILIES,
    FORMATS,
    ExportRange,
    ExportRangeError,
    audit_export_response,
)
from console.forms import DateRangeForm
from console.roles import Action

PAGE_SIZE = 50
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_MICROSECOND = timedelta(microseconds=1)


class AuditDaysForm(DateRangeForm):
    """A range of whole days of the audit log, in UTC, its last day included."""

    date_range = ("date_after", "date_before")
    date_range_inclusive = True

    date_after = forms.DateField(
        label="From (UTC)", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_before = forms.DateField(
        label="Until (UTC, inclusive)",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class AuditFilterForm(AuditDaysForm):
    field_order = ["action", "actor", "object_sid", "date_after", "date_before"]

    action = forms.CharField(
        label="Action",
        required=False,
        max_length=64,
        help_text="Exact (api_key.revoke) or a family (api_key).",
    )
    actor = forms.CharField(label="Actor contains", required=False, max_length=255)
    object_sid = forms.CharField(label="Object SID", required=False, max_length=34)

    def selector_kwargs(self) -> dict:
        """Map the valid filters onto ``selectors.audit_events``; invalid ones are left out."""
        data = self.cleaned_data
        kwargs = {
            "action": data.get("action", "").strip() or None,
            "actor": data.get("actor", "").strip() or None,
            "object_sid": data.get("object_sid", "").strip() or None,
        }
        if data.get("date_after"):
            kwargs["date_created_after"] = datetime.combine(data["date_after"], time.min, UTC)
        if data.get("date_before"):
            next_day = data["date_before"] + timedelta(days=1)
            kwargs["date_created_before"] = datetime.combine(next_day, time.min, UTC)
        return kwargs


class AuditExportForm(AuditDaysForm):
    """The evidence export: a range of days (required, capped), a family and the format."""

    family = forms.ChoiceField(
        label="Family",
        required=False,
        choices=[("", "All: deletions, holds, policies")]
        + [(name, name.capitalize()) for name in AUDIT_FAMILIES],
    )
    # Set by the button pressed ("Export CSV", "Export JSON lines"), never typed.
    format = forms.ChoiceField(choices=[(name, name) for name in FORMATS])

    def __init__(self, *args, **kwargs):
        # Beside the filter form on one page: its fields need names (and ids) of their own.
        super().__init__(*args, prefix="export", **kwargs)
        for name in self.date_range:
            self.fields[name].required = True
            self.fields[name].error_messages["required"] = (
                "An export needs a date range: choose its first and last day."
            )

    def clean(self):
        data = super().clean()
        start_name, end_name = self.date_range
        if data.get(start_name) and data.get(end_name):
            try:
                data["days"] = ExportRange(data[start_name], data[end_name])
            except ExportRangeError as error:
                self.add_error(start_name, f"Cannot export this range: {error}.")
        return data


def cursor_token(event) -> str:
    """Return the URL token of a position just past ``event``."""
    return f"{(event.date_created - EPOCH) // ONE_MICROSECOND}_{event.id}"


def cursor_from(query) -> selectors.AuditCursor | None:
    """Read the ``older``/``newer`` token of the query string; a malformed one means page one."""
    for name, older in (("older", True), ("newer", False)):
        token = query.get(name)
        if token:
            try:
                micros, pk = (int(part) for part in token.split("_"))
                return selectors.AuditCursor(EPOCH + micros * ONE_MICROSECOND, pk, older)
            except (ValueError, OverflowError):
                return None
    return None


class AuditLog(AccountPageMixin, TemplateView):
    action = Action.ADMINISTER
    template_name = "console/team/audit.html"

    def get_context_data(self, **kwargs):
        form = AuditFilterForm(self.request.GET or None)
        form.is_valid()  # what is valid filters; what is not is shown with its error
        filters = form.selector_kwargs() if form.is_bound else {}
        # The export offers the page's own range of days.
        days = {name: form.cleaned_data.get(name) for name in form.date_range} if filters else {}
        kwargs.setdefault("export_form", AuditExportForm(initial=days))
        qs = selectors.audit_events(account=self.account, **filters)
        page = selectors.audit_page(qs, page_size=PAGE_SIZE, cursor=cursor_from(self.request.GET))
        rows = page.rows
        return super().get_context_data(
            form=form,
            events=rows,
            filtered=any(filters.values()),
            previous_url=self.page_url(rows[0], older=False) if rows and page.has_newer else None,
            next_url=self.page_url(rows[-1], older=True) if rows and page.has_older else None,
            **kwargs,
        )

    def page_url(self, event, *, older: bool) -> str:
        """Return this page's URL with its filters, moved past ``event``."""
        query = {
            k: v for k, v in self.request.GET.items() if k in AuditFilterForm.base_fields and v
        }
        query["older" if older else "newer"] = cursor_token(event)
        return f"?{urlencode(query)}"


class AuditExport(AuditLog):
    """Download the evidence of the export form's range; a range refused shows the log again
    with the form's error."""

    def get(self, request, *args, **kwargs):
        form = AuditExportForm(request.GET)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(export_form=form))
        return audit_export_response(
            account=self.account,
            days=form.cleaned_data["days"],
            family=form.cleaned_data["family"] or None,
            export_format=form.cleaned_data["format"],
        )

    def page_url(self, event, *, older: bool) -> str:
        # Shown at the export's address, the log's page links lead back to the log.
        return reverse("team:audit") + super().page_url(event, older=older)
