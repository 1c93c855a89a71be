"""Parameters of the /v1 write endpoints, validated with Twilio's names (DRF serializers, so that
the same declaration validates requests and documents them in our OpenAPI schema)."""

from django.core.validators import RegexValidator, URLValidator
from rest_framework import serializers

from console.sids import ANY_SID
from recordings.lifecycle.choices import CallbackMethod
from recordings.twilio_api.params import TwilioBooleanField
from recordings.video.choices import RoomStatus, RoomType


class CreateRoomParams(serializers.Serializer):
    """``POST /v1/Rooms``."""

    UniqueName = serializers.CharField(
        required=False,
        max_length=128,
        # A name shaped like a room SID could never be addressed by name.
        validators=[RegexValidator(ANY_SID, inverse_match=True, message="must not be a SID")],
    )
    Type = serializers.ChoiceField(required=False, choices=RoomType.choices)
    RecordParticipantsOnConnect = TwilioBooleanField(required=False)
    RecordingRules = serializers.CharField(
        required=False, trim_whitespace=False, max_length=64 * 1024
    )
    StatusCallback = serializers.URLField(
        required=False, max_length=1024, validators=[URLValidator(schemes=["http", "https"])]
    )
    StatusCallbackMethod = serializers.ChoiceField(required=False, choices=CallbackMethod.choices)
    MaxParticipants = serializers.IntegerField(required=False, min_value=1, max_value=50)
    MaxParticipantDuration = serializers.IntegerField(
        required=False, min_value=600, max_value=86400
    )
    EmptyRoomTimeout = serializers.IntegerField(required=False, min_value=1, max_value=60)
    UnusedRoomTimeout = serializers.IntegerField(required=False, min_value=1, max_value=60)
    AudioOnly = TwilioBooleanField(required=False)

    SERVICE_KEYWORDS = {
        "UniqueName": "unique_name",
        "Type": "type",
        "RecordParticipantsOnConnect": "record_participants_on_connect",
        "RecordingRules": "rules_document",
        "StatusCallback": "status_callback",
        "StatusCallbackMethod": "status_callback_method",
        "MaxParticipants": "max_participants",
        "MaxParticipantDuration": "max_participant_duration",
        "EmptyRoomTimeout": "empty_room_timeout",
        "UnusedRoomTimeout": "unused_room_timeout",
        "AudioOnly": "audio_only",
    }

    def service_kwargs(self) -> dict[str, object]:
        """Return the keywords of ``services.room_create`` that the request sets."""
        return {self.SERVICE_KEYWORDS[name]: value for name, value in self.validated_data.items()}


class UpdateRoomParams(serializers.Serializer):
    """``POST /v1/Rooms/{Sid}``: the only change a room takes is being completed."""

    Status = serializers.ChoiceField(choices=[RoomStatus.COMPLETED])
