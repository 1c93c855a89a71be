"""The compositions' request parameters as Twilio takes them; what they mean is checked by
``spec.spec_clean`` (shared with the console)."""

from typing import Any

from django.core.validators import URLValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from recordings.compositions.choices import CompositionFormat
from recordings.compositions.spec import Spec, spec_clean
from recordings.lifecycle.choices import CallbackMethod
from recordings.twilio_api.params import TwilioBooleanField

PARAMETER_FOR_FIELD = {
    "video_layout": "VideoLayout",
    "audio_sources": "AudioSources",
    "audio_sources_excluded": "AudioSourcesExcluded",
    "resolution": "Resolution",
    "format": "Format",
    "trim": "Trim",
    "status_callback": "StatusCallback",
    "status_callback_method": "StatusCallbackMethod",
}


@extend_schema_field({"type": "array", "items": {"type": "string"}})
class _RepeatedField(serializers.Field):
    """A list parameter: repeated (as the helper library sends a list) or given once."""

    def get_value(self, dictionary: Any) -> Any:
        values = dictionary.getlist(self.field_name) if hasattr(dictionary, "getlist") else []
        return values or serializers.empty

    def to_internal_value(self, data: list[object]) -> list[str]:
        return [str(value) for value in data]


class SpecParams(serializers.Serializer):
    """What a composition or a hook's template is made of."""

    VideoLayout = serializers.CharField(required=False, allow_blank=True, max_length=64 * 1024)
    AudioSources = _RepeatedField(required=False)
    AudioSourcesExcluded = _RepeatedField(required=False)
    Resolution = serializers.CharField(required=False, max_length=16)
    Format = serializers.ChoiceField(required=False, choices=CompositionFormat.choices)
    Trim = TwilioBooleanField(required=False)
    StatusCallback = serializers.URLField(
        required=False, max_length=1024, validators=[URLValidator(schemes=["http", "https"])]
    )
    StatusCallbackMethod = serializers.ChoiceField(required=False, choices=CallbackMethod.choices)

    def spec(self) -> Spec:
        """Return the checked spec (raises InvalidComposition naming the parameter)."""
        fields = {parameter: field for field, parameter in PARAMETER_FOR_FIELD.items()}
        given = self.validated_data
        return spec_clean(
            **{fields[name]: value for name, value in given.items() if name in fields}
        )

    def gives_spec(self) -> bool:
        return any(name in self.validated_data for name in PARAMETER_FOR_FIELD.values())


class CreateCompositionParams(SpecParams):
    RoomSid = serializers.RegexField(r"^RM[0-9a-fA-F]{32}$")


class HookParams(SpecParams):
    FriendlyName = serializers.CharField(max_length=100)
    Enabled = TwilioBooleanField(required=False)
