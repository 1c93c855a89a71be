"""``GET /roomvault/v1/AuditEvents.csv`` and ``.jsonl``: the audit evidence export of the console
(console.audit_export) for API callers, with the account's auth token or a Main key.

The format is the path's extension, as Twilio's 2010-04-01 API spells its formats
(``Recordings.json``): the URL then names what it downloads, each format is its own operation in
the OpenAPI document with its own content type, and no parameter can ask for a format that does
not exist. Errors are Twilio's JSON body whatever the ``Accept`` header says.
"""

from collections.abc import Callable
from typing import Any, TypeVar

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from console.audit_export import (
    AUDIT_FAMILIES,
    FORMATS,
    ExportRange,
    ExportRangeError,
    audit_export_response,
)
from console.roles import Action
from recordings.twilio_api.params import require_valid
from recordings.twilio_api.renderers import ORJSONRenderer
from recordings.twilio_api.views import ERROR, TwilioAPIView

F = TypeVar("F", bound=Callable[..., Any])


def _day(help_text: str) -> serializers.DateField:
    """Return a required date parameter, YYYY-MM-DD only."""
    return serializers.DateField(
        input_formats=["%Y-%m-%d"],
        error_messages={
            "required": "required, a date as YYYY-MM-DD",
            "invalid": "must be a date as YYYY-MM-DD",
        },
        help_text=help_text,
    )


class AuditExportParams(serializers.Serializer):
    From = _day("The first day exported (UTC), YYYY-MM-DD")
    To = _day("The last day exported (UTC, inclusive), at most 366 days after From")
    Family = serializers.ChoiceField(
        choices=list(AUDIT_FAMILIES),
        required=False,
        help_text="Only this family of events; all of them when absent",
    )

    def validate(self, attrs):
        try:
            attrs["days"] = ExportRange(attrs["From"], attrs["To"])
        except ExportRangeError as error:
            raise serializers.ValidationError({"To": str(error)}) from None
        return attrs


class _AuditEventsExport(TwilioAPIView):
    # The audit log is the account's administration: the auth token and Main keys only.
    required_action = Action.ADMINISTER
    export_format: str

    def perform_content_negotiation(self, request, force=False):
        # The body's format is the path's; an error is Twilio's JSON.
        renderer = ORJSONRenderer()
        return renderer, renderer.media_type

    def get(self, request):
        params = require_valid(AuditExportParams(data=request.query_params)).validated_data
        return audit_export_response(
            account=self.account,
            days=params["days"],
            family=params.get("Family"),
            export_format=self.export_format,
        )


def _schema(export_format: str, operation_id: str, what: str) -> Callable[[F], F]:
    content_type = FORMATS[export_format][0].split(";")[0]
    return extend_schema(
        operation_id=operation_id,
        description=(
            f"Export the account's deletions, legal holds and retention policy runs of a range "
            f"of days as {what}, oldest first. Needs the auth token or a Main key."
        ),
        parameters=[AuditExportParams],
        responses={(200, content_type): OpenApiTypes.STR, 400: ERROR, 401: ERROR, 403: ERROR},
    )


class AuditEventsCsv(_AuditEventsExport):
    export_format = "csv"

    @_schema("csv", "ExportAuditEventsCsv", "CSV (a header row)")
    def get(self, request):
        return super().get(request)


class AuditEventsJsonl(_AuditEventsExport):
    export_format = "jsonl"

    @_schema("jsonl", "ExportAuditEventsJsonl", "JSON lines (one event per line)")
    def get(self, request):
        return super().get(request)
