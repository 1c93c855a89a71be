"""Parameters as Twilio takes them, whatever the resource: its booleans, dates and SIDs, and the
error that names the first bad one. Resource-specific parameters (choices of a domain) stay with
their API; these are only the spelling rules every Twilio endpoint shares."""

import re
from collections.abc import Mapping
from datetime import UTC, datetime, time

from django.conf import settings
from django.utils.dateparse import parse_date, parse_datetime
from django_filters.fields import IsoDateTimeField
from rest_framework import serializers

from console.sids import is_sid
from recordings.twilio_api.errors import invalid_parameter


class TwilioBooleanField(serializers.BooleanField):
    """``true`` or ``false`` as Twilio takes them; absent stays absent (not False, as DRF would
    make a missing form checkbox)."""

    default_empty_html = serializers.empty
    TRUE_VALUES = {"true", "True", "TRUE", True}
    FALSE_VALUES = {"false", "False", "FALSE", False}


class UtcDateTimeField(IsoDateTimeField):
    """An ISO 8601 date-time in UTC (``DateCreatedAfter`` and its kin, on every list). One whose
    UTC value falls off either end of the calendar (``0001-01-01T00:00:00+05:00``) becomes the
    calendar's first or last instant, which selects exactly the same rows."""

    def clean(self, value):
        cleaned = super().clean(value)
        if cleaned is None:
            return None
        try:
            return cleaned.astimezone(UTC)
        except OverflowError:
            return (datetime.min if cleaned.year == 1 else datetime.max).replace(tzinfo=UTC)


def require_valid(validator):
    """Return a form or serializer if valid, else raise Twilio 20001 naming its first bad field."""
    if not validator.is_valid():
        name, errors = next(iter(validator.errors.items()))
        raise invalid_parameter(name, " ".join(str(error) for error in errors))
    return validator


def boolean_param(query: Mapping[str, str], name: str) -> bool:
    """Read a ``true``/``false`` query parameter (absent is false)."""
    raw = query.get(name)
    if raw in (None, ""):
        return False
    try:
        return TwilioBooleanField().to_internal_value(raw)
    except serializers.ValidationError:
        raise invalid_parameter(name, "must be true or false") from None


def moment_param(name: str, raw: str) -> tuple[datetime, bool]:
    """Return (the moment in UTC, whether only a date was given) of a date parameter's value."""
    try:
        day = parse_date(raw) if len(raw) == 10 else None
        moment = None if day else parse_datetime(raw)
    except ValueError:  # well formed but impossible, like month 13
        day = moment = None
    if day is not None:
        return datetime.combine(day, time(), tzinfo=UTC), True
    if moment is None:
        raise invalid_parameter(name, "must be a date (YYYY-MM-DD) or a date and time in GMT")
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC), False


def sid_param(query: Mapping[str, str], name: str, prefix: str) -> str | None:
    """Read a SID query parameter of the ``prefix`` kind (None when absent)."""
    raw = query.get(name)
    if not raw:
        return None
    if not is_sid(raw, prefix):
        raise invalid_parameter(name, f"must be {prefix} followed by 32 hex digits")
    return raw


_SHORT_NUMBER = re.compile(r"[0-9]{1,6}")
_HEADER_VALUE = re.compile(r"[\x20-\x7e]{1,512}")


def media_ttl(raw: str | None) -> int:
    """Return a media redirect's ``Ttl`` in seconds (the default when absent); raise 20001."""
    if raw in (None, ""):
        return settings.MEDIA_URL_TTL_DEFAULT
    # ASCII digits only: str.isdigit() accepts "²", which int() then refuses.
    if not _SHORT_NUMBER.fullmatch(raw) or not 1 <= int(raw) <= settings.MEDIA_URL_TTL_MAX:
        raise invalid_parameter("Ttl", f"must be between 1 and {settings.MEDIA_URL_TTL_MAX}")
    return int(raw)


def content_disposition(raw: str | None, *, default: str) -> str:
    """Return a media redirect's ``ContentDisposition`` (``default`` when absent); raise 20001."""
    if raw in (None, ""):
        return default
    kind = raw.split(";", 1)[0].strip().lower()
    # It becomes a response header: printable ASCII only (RFC 6266 filename* covers the rest).
    if kind not in ("attachment", "inline") or not _HEADER_VALUE.fullmatch(raw):
        raise invalid_parameter(
            "ContentDisposition", "must start with attachment or inline, in printable ASCII"
        )
    return raw
