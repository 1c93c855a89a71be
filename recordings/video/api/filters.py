"""Twilio's list query parameters, parsed by django-filter into the selectors' filters.

Each filter's ``field_name`` is a field of the list's filter (``RecordingFilter`` for recordings)
or a selector keyword, so the API owns only the spelling of the parameters; what a filter means
lives in ``recordings.video.selectors``.
"""

from functools import cache

import django_filters
from django import forms
from django.core.validators import RegexValidator

from console.sids import ANY_SID
from recordings.twilio_api.params import UtcDateTimeField, require_valid
from recordings.video.choices import MediaType, ParticipantStatus, RecordingStatus, RoomStatus
from recordings.video.filters import RecordingFilter
from recordings.video.models import Recording


class SidListField(forms.Field):
    """A repeatable query parameter whose every value is a SID."""

    widget = forms.MultipleHiddenInput

    max_values = 100

    def clean(self, value):
        values = tuple(dict.fromkeys(v for v in (value or []) if v != ""))
        for v in values:
            if not ANY_SID.match(v):
                raise forms.ValidationError(f"{v!r} is not a SID")
        if len(values) > self.max_values:
            raise forms.ValidationError(f"at most {self.max_values} different values")
        return values


class SidListFilter(django_filters.Filter):
    field_class = SidListField


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcDateTimeField


def sid_filter(field_name: str) -> django_filters.CharFilter:
    return django_filters.CharFilter(
        field_name=field_name,
        validators=[RegexValidator(ANY_SID, "Enter a SID: two letters and 32 hex digits.")],
        strip=False,  # "MT…\n" is not a SID, not a SID to be tidied
    )


class DateCreatedFilterSet(django_filters.FilterSet):
    DateCreatedAfter = UtcDateTimeFilter(field_name="date_created_after")
    DateCreatedBefore = UtcDateTimeFilter(field_name="date_created_before")


class RoomRecordingFilterSet(DateCreatedFilterSet):
    """The query parameters of ``/v1/Rooms/{RoomSid}/Recordings``."""

    Status = django_filters.ChoiceFilter(field_name="status", choices=RecordingStatus.choices)
    SourceSid = sid_filter("source_sid")


class RecordingFilterSet(RoomRecordingFilterSet):
    """The query parameters of ``/v1/Recordings``."""

    GroupingSid = SidListFilter(field_name="grouping_sids")
    MediaType = django_filters.ChoiceFilter(field_name="media_type", choices=MediaType.choices)


class RoomFilterSet(DateCreatedFilterSet):
    """The query parameters of ``/v1/Rooms``."""

    Status = django_filters.ChoiceFilter(field_name="status", choices=RoomStatus.choices)
    UniqueName = django_filters.CharFilter(field_name="unique_name", max_length=128)


class ParticipantFilterSet(DateCreatedFilterSet):
    """The query parameters of ``/v1/Rooms/{RoomSid}/Participants``."""

    # "reconnecting" is in the reference's enum; Roomvault has no such state, so it matches nobody.
    Status = django_filters.ChoiceFilter(
        field_name="status", choices=[*ParticipantStatus.choices, ("reconnecting", "reconnecting")]
    )
    Identity = django_filters.CharFilter(field_name="identity", max_length=128)


@cache
def _form_class(filterset_class: type[django_filters.FilterSet]) -> type[forms.Form]:
    # django-filter builds a new form class, and deep-copies every filter, for each FilterSet it
    # makes: a tenth of a list request's time. The class depends only on the declarations, and
    # each form copies its fields anyway, so one class per FilterSet serves every request.
    return type(filterset_class(queryset=Recording.objects.none()).form)


def selector_filters(filterset_class: type[django_filters.FilterSet], query) -> dict[str, object]:
    """Return the selector keywords for a query, or raise error 20001 for the first bad one."""
    form = require_valid(_form_class(filterset_class)(data=query))
    return {
        f.field_name: form.cleaned_data[name]
        for name, f in filterset_class.base_filters.items()
        if form.cleaned_data.get(name) not in (None, "", ())
    }


def recording_filter(filterset_class: type[RoomRecordingFilterSet], query) -> RecordingFilter:
    """Return the recordings filter of a list query, or raise error 20001 for the first bad
    parameter."""
    return RecordingFilter(**selector_filters(filterset_class, query))
