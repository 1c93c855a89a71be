"""Output serializers with Twilio's field names. Input is validated in the views, not here."""

from datetime import UTC

from rest_framework import serializers

from recordings.models import Recording, RecordingRules, Room

# The twilio helper library parses only this exact form; anything else comes back as a string.
TWILIO_DATETIME = "%Y-%m-%dT%H:%M:%SZ"


class TwilioDateTimeField(serializers.DateTimeField):
    """A UTC timestamp rendered exactly as ``YYYY-MM-DDTHH:MM:SSZ``."""

    def __init__(self, **kwargs):
        super().__init__(format=TWILIO_DATETIME, default_timezone=UTC, **kwargs)


class _RecordingBase(serializers.Serializer):
    """The fields every video recording resource shares (seed 000, reference schema)."""

    account_sid = serializers.CharField(source="account_id")
    status = serializers.CharField()
    date_created = TwilioDateTimeField()
    date_updated = TwilioDateTimeField()
    date_deleted = TwilioDateTimeField(allow_null=True)
    sid = serializers.CharField()
    source_sid = serializers.CharField(source="track_id")
    size = serializers.IntegerField(allow_null=True)
    url = serializers.SerializerMethodField()
    type = serializers.CharField()
    duration = serializers.IntegerField(allow_null=True)
    container_format = serializers.CharField()
    codec = serializers.CharField()
    grouping_sids = serializers.SerializerMethodField()
    track_name = serializers.CharField()
    offset = serializers.IntegerField(allow_null=True)
    media_external_location = serializers.CharField(allow_null=True)
    encryption_key = serializers.CharField(allow_null=True)
    links = serializers.SerializerMethodField()

    def get_grouping_sids(self, recording: Recording) -> dict[str, str]:
        return {"room_sid": recording.room_id, "participant_sid": recording.participant_id}

    def resource_path(self, recording: Recording) -> str:
        raise NotImplementedError

    def get_url(self, recording: Recording) -> str:
        return self.context["base_url"] + self.resource_path(recording)

    def get_links(self, recording: Recording) -> dict[str, str]:
        return {"media": self.get_url(recording) + "/Media"}


class RecordingSerializer(_RecordingBase):
    """A ``/v1/Recordings`` resource."""

    status_callback = serializers.CharField(allow_null=True)
    status_callback_method = serializers.CharField(allow_null=True)

    def resource_path(self, recording: Recording) -> str:
        return f"/v1/Recordings/{recording.sid}"


class RoomRecordingSerializer(_RecordingBase):
    """A ``/v1/Rooms/{RoomSid}/Recordings`` resource."""

    room_sid = serializers.CharField(source="room_id")

    def resource_path(self, recording: Recording) -> str:
        return f"/v1/Rooms/{recording.room_id}/Recordings/{recording.sid}"


class ListMetaSerializer(serializers.Serializer):
    """The ``meta`` block of every list page (documents what ``paging.list_meta`` returns)."""

    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    first_page_url = serializers.URLField()
    previous_page_url = serializers.URLField(allow_null=True)
    url = serializers.URLField()
    next_page_url = serializers.URLField(allow_null=True)
    key = serializers.CharField()


class RecordingRulesSerializer(serializers.Serializer):
    """A room's ``RecordingRules`` resource; dates are null until rules were first set."""

    room_sid = serializers.SerializerMethodField()
    date_created = TwilioDateTimeField(allow_null=True)
    date_updated = TwilioDateTimeField(allow_null=True)
    rules = serializers.ListField(child=serializers.DictField())

    def get_room_sid(self, rules: RecordingRules) -> str:
        return rules.room_id


def empty_rules(room: Room) -> RecordingRules:
    """Return the unsaved rules resource of a room that never had rules set."""
    return RecordingRules(room=room, rules=[], date_created=None, date_updated=None)
