"""Output serializers with Twilio's field names. Input is validated in the views, not here."""

from datetime import UTC

from rest_framework import serializers

from recordings.video.models import Participant, Recording, RecordingRules, Room

# The twilio helper library parses only this exact form; anything else comes back as a string.
TWILIO_DATETIME = "%Y-%m-%dT%H:%M:%SZ"


class TwilioDateTimeField(serializers.DateTimeField):
    """A UTC timestamp rendered exactly as ``YYYY-MM-DDTHH:MM:SSZ``."""

    def __init__(self, **kwargs):
        super().__init__(format=TWILIO_DATETIME, default_timezone=UTC, **kwargs)


def twilio_datetime(value):
    """Render a timestamp as the twilio library parses it, or None."""
    return None if value is None else value.astimezone(UTC).strftime(TWILIO_DATETIME)


# What a list page reads of each row: every column, as a named tuple rather than a model instance
# (building 50 to 1000 instances per page costs more than the query).
RECORDING_COLUMNS = tuple(field.attname for field in Recording._meta.concrete_fields)


class _RecordingBase(serializers.Serializer):
    """The fields every video recording resource shares (seed 000, reference schema).

    The declared fields document the schema; ``to_representation`` builds the same body directly,
    because DRF's per-field machinery costs ~30 µs a row, most of a list page's time. It reads
    attributes only, so it takes a model instance or a ``RECORDING_COLUMNS`` named tuple. The
    official OpenAPI tests check the two stay the same.
    """

    account_sid = serializers.CharField(source="account_id")
    status = serializers.CharField()
    date_created = TwilioDateTimeField()
    date_updated = TwilioDateTimeField()
    date_deleted = TwilioDateTimeField(allow_null=True)
    sid = serializers.CharField()
    source_sid = serializers.CharField(source="track_id")
    size = serializers.IntegerField(allow_null=True)
    url = serializers.URLField()
    type = serializers.CharField()
    duration = serializers.IntegerField(allow_null=True)
    container_format = serializers.CharField()
    codec = serializers.CharField()
    grouping_sids = serializers.DictField(child=serializers.CharField())
    track_name = serializers.CharField()
    offset = serializers.IntegerField(allow_null=True)
    media_external_location = serializers.CharField(allow_null=True)
    encryption_key = serializers.CharField(allow_null=True)
    links = serializers.DictField(child=serializers.URLField())

    def resource_path(self, recording) -> str:
        raise NotImplementedError

    def extra_fields(self, recording) -> dict[str, object]:
        return {}

    def to_representation(self, recording) -> dict[str, object]:
        url = self.context["base_url"] + self.resource_path(recording)
        return {
            "account_sid": recording.account_id,
            "status": recording.status,
            "date_created": twilio_datetime(recording.date_created),
            "date_updated": twilio_datetime(recording.date_updated),
            "date_deleted": twilio_datetime(recording.date_deleted),
            "sid": recording.sid,
            "source_sid": recording.track_id,
            "size": recording.size,
            "url": url,
            "type": recording.type,
            "duration": recording.duration,
            "container_format": recording.container_format,
            "codec": recording.codec,
            "grouping_sids": {
                "room_sid": recording.room_id,
                "participant_sid": recording.participant_id,
            },
            "track_name": recording.track_name,
            "offset": recording.offset,
            "media_external_location": recording.media_external_location,
            "encryption_key": recording.encryption_key,
            "links": {"media": url + "/Media"},
            **self.extra_fields(recording),
        }


class RecordingSerializer(_RecordingBase):
    """A ``/v1/Recordings`` resource."""

    status_callback = serializers.CharField(allow_null=True)
    status_callback_method = serializers.CharField(allow_null=True)

    def resource_path(self, recording) -> str:
        return f"/v1/Recordings/{recording.sid}"

    def extra_fields(self, recording) -> dict[str, object]:
        return {
            "status_callback": recording.status_callback,
            "status_callback_method": recording.status_callback_method,
        }


class RoomRecordingSerializer(_RecordingBase):
    """A ``/v1/Rooms/{RoomSid}/Recordings`` resource."""

    room_sid = serializers.CharField(source="room_id")

    def resource_path(self, recording) -> str:
        return f"/v1/Rooms/{recording.room_id}/Recordings/{recording.sid}"

    def extra_fields(self, recording) -> dict[str, object]:
        return {"room_sid": recording.room_id}


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


def _seconds_between(start, end) -> int | None:
    return None if end is None else max(0, round((end - start).total_seconds()))


class RoomSerializer(serializers.Serializer):
    """A ``/v1/Rooms`` resource (reference ``video.v1.room``)."""

    sid = serializers.CharField()
    status = serializers.CharField()
    date_created = TwilioDateTimeField()
    date_updated = TwilioDateTimeField()
    account_sid = serializers.CharField(source="account_id")
    enable_turn = serializers.SerializerMethodField()
    unique_name = serializers.CharField()
    status_callback = serializers.CharField(allow_null=True)
    status_callback_method = serializers.CharField()
    end_time = TwilioDateTimeField(allow_null=True)
    duration = serializers.SerializerMethodField()
    type = serializers.CharField()
    max_participants = serializers.IntegerField()
    max_participant_duration = serializers.IntegerField()
    max_concurrent_published_tracks = serializers.SerializerMethodField()
    record_participants_on_connect = serializers.BooleanField()
    video_codecs = serializers.SerializerMethodField()
    media_region = serializers.SerializerMethodField()
    audio_only = serializers.BooleanField()
    empty_room_timeout = serializers.IntegerField()
    unused_room_timeout = serializers.IntegerField()
    large_room = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()
    links = serializers.SerializerMethodField()

    def get_enable_turn(self, room: Room) -> bool:
        return True  # the reference: "Deprecated, now always considered to be true"

    def get_duration(self, room: Room) -> int | None:
        return _seconds_between(room.date_created, room.end_time)

    def get_max_concurrent_published_tracks(self, room: Room) -> int:
        return 170 if room.type in ("group", "group-small") else 0

    def get_video_codecs(self, room: Room) -> list[str]:
        return ["VP8", "H264"]

    def get_media_region(self, room: Room) -> str:
        return "us1"

    def get_large_room(self, room: Room) -> bool:
        return False

    def get_url(self, room: Room) -> str:
        return f"{self.context['base_url']}/v1/Rooms/{room.sid}"

    def get_links(self, room: Room) -> dict[str, str]:
        url = self.get_url(room)
        return {
            name: f"{url}/{path}"
            for name, path in (
                ("participants", "Participants"),
                ("recordings", "Recordings"),
                ("recording_rules", "RecordingRules"),
                ("transcriptions", "Transcriptions"),
            )
        }


class ParticipantSerializer(serializers.Serializer):
    """A ``/v1/Rooms/{RoomSid}/Participants`` resource."""

    sid = serializers.CharField()
    room_sid = serializers.CharField(source="room_id")
    account_sid = serializers.CharField(source="account_id")
    status = serializers.CharField()
    identity = serializers.CharField()
    date_created = TwilioDateTimeField()
    date_updated = TwilioDateTimeField()
    start_time = TwilioDateTimeField(source="date_created")
    end_time = TwilioDateTimeField(allow_null=True)
    duration = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()
    links = serializers.SerializerMethodField()

    def get_duration(self, participant: Participant) -> int | None:
        return _seconds_between(participant.date_created, participant.end_time)

    def get_url(self, participant: Participant) -> str:
        base = self.context["base_url"]
        return f"{base}/v1/Rooms/{participant.room_id}/Participants/{participant.sid}"

    def get_links(self, participant: Participant) -> dict[str, str]:
        url = self.get_url(participant)
        return {
            "published_tracks": f"{url}/PublishedTracks",
            "subscribed_tracks": f"{url}/SubscribedTracks",
            "subscribe_rules": f"{url}/SubscribeRules",
            "anonymize": f"{url}/Anonymize",
        }
