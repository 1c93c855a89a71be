"""What every Logs page of recordings shares, whatever their kind: a filtered list paged by
keyset under a capped count, its CSV export, and the helpers of a recording's details page.
Handlers of a kind's pages name their filter form and rows; these do the rest."""

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol, cast

from django.contrib import messages
from django.db.models import QuerySet
from django.forms import Form, TypedChoiceField
from django.http import HttpRequest, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.generic import View
from django.views.generic.base import ContextMixin

from console.access import AccountPageMixin
from console.csv_export import csv_lines
from console.roles import Action
from console.templatetags.roomvault_format import human_duration
from recordings.twilio_api import keyset
from recordings.twilio_api.errors import TwilioAPIError
from recordings.twilio_api.tokens import decode_token, encode_token

# The query parameter of the keyset cursor (a signed PageToken, as the API issues them).
TOKEN = "token"
# The position of a page's first row, carried by the page links because a keyset has no offset.
# It is only shown, never used to select rows, so it is not signed: a forged one is clamped.
POSITION = "pos"
# The list counts matches up to this many, with a LIMITed subquery; beyond it, "more than N".
COUNT_CAP = 1000


def filter_form(query: QueryDict, form_class: type[Form]) -> Form:
    """Return a Logs filter form bound to a query, with the page size shown even when unset."""
    data = query.copy()
    if not data.get("page_size"):
        # Every Logs filter form's page size is a typed choice whose empty value is the default.
        page_size = cast(TypedChoiceField, form_class.base_fields["page_size"])
        data["page_size"] = str(page_size.empty_value)
    form = form_class(data)
    for name in ("date_from", "date_to"):
        widget = form.fields[name].widget
        widget.input_type, widget.format = "datetime-local", "%Y-%m-%dT%H:%M"
    return form


class _Deletable(Protocol):
    @property
    def date_deleted(self) -> datetime | None: ...


def purge_date(recording: _Deletable, retention_days: int) -> datetime | None:
    """Return when a deleted recording's metadata will be purged, or None."""
    if recording.date_deleted is None:
        return None
    return recording.date_deleted + timedelta(days=retention_days)


def api_context(data: dict, *, path: str) -> dict[str, object]:
    """Return an API body as the details pages show it: field by field, as JSON, and the path
    that answers it."""
    return {
        "api_fields": [(k, json.dumps(v) if isinstance(v, dict) else v) for k, v in data.items()],
        "api_json": json.dumps(data, indent=2),
        "api_path": path,
    }


class KeysetListMixin(ContextMixin):
    """A Logs page: filters in the URL, newest first, keyset pages and a capped count.

    A view names its ``filter_form_class`` and its rows (``matching``); ``for_display`` and
    ``present`` add what its table shows beyond the rows' own columns.
    """

    filter_form_class: type[Form]
    request: HttpRequest  # set by the View this mixes into

    def matching(self, form: Form) -> QuerySet:
        """Return the account's rows a valid filter form selects, newest first."""
        raise NotImplementedError

    def for_display(self, qs: QuerySet) -> QuerySet:
        """Return the page's query with what its rows show joined in (nothing by default)."""
        return qs

    def present(self, row: Any) -> None:
        """Add to a row what its table cells show."""
        row.duration_text = human_duration(row.duration)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = filter_form(self.request.GET, self.filter_form_class)
        valid = form.is_valid()
        filtered = any(
            v for k, v in self.request.GET.items() if k not in (TOKEN, POSITION, "page_size")
        )
        context.update(
            form=form,
            valid=valid,
            filtered=filtered,
            filter_query=self.url_query(),
            list_url=self.request.path,
            rows=[],
        )
        if valid:
            context.update(self.page_context(self.matching(form), form.cleaned_data["page_size"]))
        return context

    def page_context(self, qs: QuerySet, page_size: int) -> dict[str, object]:
        """Return one keyset page of ``qs``, the links around it, the (capped) count and where
        the page stands in it."""
        cursor = self.cursor()
        page = keyset.keyset_page(self.for_display(qs), page_size=page_size, cursor=cursor)
        rows = page.rows
        for row in rows:
            self.present(row)
        counted = self.count(qs, page, first=cursor is None)
        first = self.first_position(page, counted)
        path = f"{self.request.path}?"
        previous_token = encode_token(rows[0], forward=False) if rows and page.has_previous else ""
        next_token = encode_token(rows[-1], forward=True) if rows and page.has_next else ""
        return {
            "rows": rows,
            "paged": cursor is not None,
            "previous_url": self.url_query(previous_token, path, max(1, first - page_size))
            if previous_token
            else None,
            "next_url": self.url_query(next_token, path, first + len(rows)) if next_token else None,
            "position": {
                "first": f"{first:,}",
                "last": f"{first + len(rows) - 1:,}",
                "total": f"{COUNT_CAP:,}+"
                if counted["more_than_cap"]
                else f"{counted['matching']:,}",
            },
            **counted,
        }

    def first_position(self, page: keyset.Page, counted: dict[str, Any]) -> int:
        """Return the position of the page's first row: 1 on the first page, from the count on
        the last, else as the page link claims, clamped between them."""
        if not page.has_previous:
            return 1
        try:
            claimed = int(self.request.GET.get(POSITION, ""))
        except ValueError:
            claimed = 2
        if counted["more_than_cap"]:
            return max(2, claimed)
        last_first = max(1, counted["matching"] - len(page.rows) + 1)
        return last_first if not page.has_next else min(max(2, claimed), last_first)

    @staticmethod
    def count(qs: QuerySet, page: keyset.Page, *, first: bool) -> dict[str, object]:
        """Count the matches up to COUNT_CAP with a LIMITed subquery; the first page holding
        every match needs no query at all."""
        if first and not page.has_next:
            return {"matching": len(page.rows), "more_than_cap": False, "count_cap": COUNT_CAP}
        counted = qs[: COUNT_CAP + 1].count()
        return {
            "matching": min(counted, COUNT_CAP),
            "more_than_cap": counted > COUNT_CAP,
            "count_cap": COUNT_CAP,
        }

    def cursor(self):
        """Return the cursor of the page token in the URL; a bad token means the first page."""
        token = self.request.GET.get(TOKEN)
        if not token:
            return None
        try:
            return decode_token(token)
        except TwilioAPIError:
            messages.warning(self.request, "That page link is not valid: showing the first page.")
            return None

    def url_query(self, token: str | None = None, prefix: str = "", position: int = 1) -> str:
        """Return this page's query string with another page token (or none) and the position
        of that page's first row."""
        params = self.request.GET.copy()
        params.pop(TOKEN, None)
        params.pop(POSITION, None)
        if token:
            params[TOKEN] = token
            params[POSITION] = str(position)
        return prefix + params.urlencode()


class CsvExportView(AccountPageMixin, View):
    """A Logs page's filtered set as CSV, streamed: no page size, no limit, never all in memory.

    A view names its ``filter_form_class``, its ``columns`` (header → value of a row), the
    ``list_url`` its bad filters go back to, and its rows (``matching``).
    """

    action = Action.PLAY
    filter_form_class: type[Form]
    columns: dict[str, Callable[[object], object]]
    list_url: str
    filename: str

    def matching(self, form: Form) -> QuerySet:
        """Return the account's rows a valid filter form selects, newest first."""
        raise NotImplementedError

    def get(self, request):
        form = filter_form(request.GET, self.filter_form_class)
        if not form.is_valid():
            messages.error(request, "Correct the filters before exporting.")
            return redirect(reverse(self.list_url) + "?" + request.GET.urlencode())
        lines = csv_lines(self.matching(form), self.columns)
        response = StreamingHttpResponse(lines, content_type="text/csv")
        stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
        response["Content-Disposition"] = f'attachment; filename="{self.filename}-{stamp}.csv"'
        return response
