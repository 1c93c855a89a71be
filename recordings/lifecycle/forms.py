"""What the Logs filter forms of every kind share: a date range that cannot be empty, and the
filter said in words (what a bulk deletion of it deletes); and the webhook log's filters."""

from datetime import datetime
from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.formats import date_format

from console.forms import DateRangeForm
from recordings.lifecycle.filters import PAGE_SIZES
from recordings.lifecycle.models import CallbackDelivery
from recordings.lifecycle.selectors import CallbackFilter

# Said of a name filter: it matches the start of names, whatever their case.
NAME_PREFIX_HELP = "starts with, any case"


def name_prefix_field(*, label: str, what: str = "") -> forms.CharField:
    """Return a filter field matching the start of a name in any case, and saying so (in its
    help text and, for list templates that show no help text, in its placeholder). ``what`` names
    what else it takes: "A SID, or a name".
    """
    return forms.CharField(
        required=False,
        label=label,
        max_length=128,
        help_text=f"{what}: {NAME_PREFIX_HELP}." if what else f"{NAME_PREFIX_HELP.capitalize()}.",
        widget=forms.TextInput(attrs={"placeholder": NAME_PREFIX_HELP.capitalize()}),
    )


def datetime_in_words(value: datetime) -> str:
    """Return a moment as people write it: ``1 Dec 2026``, or ``1 Dec 2026 14:30`` (in the
    console's time zone, UTC)."""
    local = timezone.localtime(value)
    if (local.hour, local.minute, local.second) == (0, 0, 0):
        return date_format(local, "j M Y")
    return date_format(local, "j M Y H:i")


class LogsFilterForm(DateRangeForm):
    """A Logs page's filters: ``date_from`` before ``date_to``, and ``in_words()``.

    A field is said as its label and value (a choice by its label); a form says a field
    otherwise with a ``words_<field>(value)`` method, as Django's ``clean_<field>``.
    """

    # Fields that shape the page, not the selection.
    not_a_filter = frozenset({"page_size"})

    def in_words(self, *, plural: str) -> str:
        """Return what the valid form selects, starting with ``plural`` (the kind's noun in the
        plural): "recordings with type Audio, created from 1 Dec 2026"."""
        parts = [
            self._field_in_words(name, value)
            for name, value in self.cleaned_data.items()
            if name not in self.not_a_filter and value not in (None, "", False)
        ]
        if not parts:
            return f"all {plural} that are not deleted"
        return f"{plural} with {', '.join(parts)}"

    def words_status(self, value: str) -> str:
        # Every Logs form's status offers "all" (deleted too) beside the kind's statuses.
        if value == "all":
            return "any status, deleted ones too"
        return self._field_in_words("status", value, custom=False)

    def _field_in_words(self, name: str, value: Any, *, custom: bool = True) -> str:
        hook = getattr(self, f"words_{name}", None) if custom else None
        if hook is not None:
            return hook(value)
        field = self.fields[name]
        label = str(field.label or name.replace("_", " ")).lower()
        if isinstance(field, forms.ChoiceField):
            # Logs choices are flat (value, label) pairs, no groups.
            value = dict(cast(list[tuple[Any, Any]], field.choices)).get(value, value)
        elif isinstance(value, datetime):
            value = datetime_in_words(value)
        return f"{label} {value}"


class WebhookLogFilterForm(DateRangeForm):
    """The webhook log's filters (all optional; they live in the URL), building the same
    ``CallbackFilter`` as the API's query."""

    status = forms.ChoiceField(
        required=False, choices=[("", "Any"), *CallbackDelivery.Status.choices]
    )
    status_code = forms.IntegerField(
        required=False, label="HTTP status", min_value=100, max_value=599
    )
    event = forms.CharField(required=False, max_length=32, help_text="Exactly, e.g. room-ended.")
    url = forms.CharField(
        required=False, label="URL", max_length=1024, strip=False, help_text="Starts with."
    )
    date_from = forms.DateTimeField(required=False, label="Created from")
    date_to = forms.DateTimeField(required=False, label="Created before")
    page_size = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=50,  # type: ignore[arg-type]  # the stubs take text only; coerce makes ints
        choices=[(n, n) for n in PAGE_SIZES],
    )

    def filter(self) -> CallbackFilter:
        """Return the filter of the valid form's fields."""
        data = self.cleaned_data
        return CallbackFilter(
            status=data["status"],
            status_code=data["status_code"],
            event=data["event"],
            url_prefix=data["url"],
            date_created_after=data["date_from"],
            date_created_before=data["date_to"],
        )
