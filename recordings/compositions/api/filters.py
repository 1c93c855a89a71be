"""The list query parameters of /v1/Compositions and /v1/CompositionHooks, parsed by django-filter
into the selectors' keywords (as the recordings lists are)."""

import django_filters

from recordings.compositions.choices import CompositionStatus
from recordings.video.api.filters import DateCreatedFilterSet, sid_filter


class CompositionFilterSet(DateCreatedFilterSet):
    Status = django_filters.ChoiceFilter(field_name="status", choices=CompositionStatus.choices)
    RoomSid = sid_filter("room_sid")


class _TwilioBooleanFilter(django_filters.TypedChoiceFilter):
    def __init__(self, **kwargs):
        super().__init__(
            choices=[("true", "true"), ("false", "false")],
            coerce=lambda value: value == "true",
            **kwargs,
        )


class CompositionHookFilterSet(DateCreatedFilterSet):
    Enabled = _TwilioBooleanFilter(field_name="enabled")
    FriendlyName = django_filters.CharFilter(field_name="friendly_name", max_length=100)
