"""Parameters of the 2010-04-01 Recording endpoints, validated with Twilio's names."""

from datetime import UTC, datetime, time, timedelta

from django.core.validators import URLValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from recordings.lifecycle.choices import CallbackMethod
from recordings.twilio_api.errors import invalid_parameter
from recordings.twilio_api.params import boolean_param, moment_param, sid_param
from recordings.voice.choices import (
    CallbackEvent,
    CaptureState,
    PauseBehavior,
    RecordingChannels,
    RecordingTrack,
    Trim,
)
from recordings.voice.filters import VoiceRecordingFilter

# The list parameters kept in page links, as the query names them. "DateCreated<=D" in a URL
# reaches us as the parameter "DateCreated<" with the value "D" (the first "=" splits the two).
LIST_FILTERS = (
    "DateCreated",
    "DateCreated<",
    "DateCreated>",
    "CallSid",
    "ConferenceSid",
    "IncludeSoftDeleted",
)


@extend_schema_field({"type": "array", "items": {"type": "string", "enum": CallbackEvent.values}})
class _EventsField(serializers.Field):
    """RecordingStatusCallbackEvent: space-separated, or repeated (as the helper library sends
    a list)."""

    def get_value(self, dictionary):
        values = dictionary.getlist(self.field_name) if hasattr(dictionary, "getlist") else []
        return values or serializers.empty

    def to_internal_value(self, data) -> list[str]:
        events = [event for value in data for event in str(value).split()]
        unknown = sorted(set(events) - set(CallbackEvent.values))
        if unknown or not events:
            raise serializers.ValidationError(
                f"must be one or more of {', '.join(CallbackEvent.values)}"
            )
        return list(dict.fromkeys(events))


class CreateCallRecordingParams(serializers.Serializer):
    """``POST /Accounts/{AccountSid}/Calls/{CallSid}/Recordings.json``."""

    RecordingStatusCallbackEvent = _EventsField(required=False)
    RecordingStatusCallback = serializers.URLField(
        required=False, max_length=1024, validators=[URLValidator(schemes=["http", "https"])]
    )
    RecordingStatusCallbackMethod = serializers.ChoiceField(
        required=False, choices=CallbackMethod.choices
    )
    Trim = serializers.ChoiceField(required=False, choices=Trim.choices)
    RecordingChannels = serializers.ChoiceField(required=False, choices=RecordingChannels.choices)
    RecordingTrack = serializers.ChoiceField(required=False, choices=RecordingTrack.choices)

    def service_kwargs(self) -> dict[str, object]:
        """Return the keywords of ``voice_recording_start`` with seed 003's defaults."""
        data = self.validated_data
        return {
            "status_callback": data.get("RecordingStatusCallback"),
            "status_callback_method": data.get("RecordingStatusCallbackMethod", "POST"),
            "status_callback_events": data.get(
                "RecordingStatusCallbackEvent", [CallbackEvent.COMPLETED]
            ),
            "trim": data.get("Trim", Trim.DO_NOT_TRIM),
            "channels": 2 if data.get("RecordingChannels") == RecordingChannels.DUAL else 1,
            "track": data.get("RecordingTrack", RecordingTrack.BOTH),
        }


class UpdateRecordingParams(serializers.Serializer):
    """``POST …/Recordings/{Sid}.json`` of a call or conference."""

    Status = serializers.ChoiceField(choices=CaptureState.choices)
    PauseBehavior = serializers.ChoiceField(required=False, choices=PauseBehavior.choices)


def include_soft_deleted(query) -> bool:
    """Read IncludeSoftDeleted (``true``/``false``; absent is false)."""
    return boolean_param(query, "IncludeSoftDeleted")


def recording_filter(query, **scope: str) -> VoiceRecordingFilter:
    """Return the filter of a list request's parameters (seed 003), within ``scope`` (the call's
    or conference's SID of its path).

    ``DateCreated=D`` is that whole day (a date and time stands for its day, as the helper
    library sends dates with a time); ``DateCreated<`` and ``DateCreated>`` (also written ``<=``
    and ``>=``) bound it on or before and on or after, a date meaning its whole day.
    """
    after: list[datetime] = []
    before: list[datetime] = []
    if raw := query.get("DateCreated"):
        moment, _ = moment_param("DateCreated", raw)
        day = datetime.combine(moment.date(), time(), tzinfo=UTC)
        after.append(day)
        before.append(day + timedelta(days=1))
    if raw := query.get("DateCreated<"):
        moment, date_only = moment_param("DateCreated<", raw)
        before.append(moment + (timedelta(days=1) if date_only else timedelta(seconds=1)))
    if raw := query.get("DateCreated>"):
        after.append(moment_param("DateCreated>", raw)[0])
    sids = {
        "call_sid": sid_param(query, "CallSid", "CA"),
        "conference_sid": sid_param(query, "ConferenceSid", "CF"),
    }
    return VoiceRecordingFilter(
        date_created_after=max(after, default=None),
        date_created_before=min(before, default=None),
        include_deleted=include_soft_deleted(query),
        **{**sids, **scope},  # the path's SID wins over the query's
    )


def requested_channels(query, default: int) -> int:
    """Read RequestedChannels (1 or 2; absent means the recording's own)."""
    raw = query.get("RequestedChannels")
    if raw in (None, ""):
        return default
    if raw not in ("1", "2"):
        raise invalid_parameter("RequestedChannels", "must be 1 or 2")
    return int(raw)
