"""What a media server sends (JSON) and what it is told back."""

from rest_framework import serializers

from recordings.video.choices import Codec, MediaType


class RoomIn(serializers.Serializer):
    unique_name = serializers.CharField(max_length=128)
    record_participants_on_connect = serializers.BooleanField(required=False, allow_null=True)


class ParticipantIn(serializers.Serializer):
    identity = serializers.CharField(max_length=128)


class TrackIn(serializers.Serializer):
    name = serializers.CharField(max_length=128)
    kind = serializers.ChoiceField(choices=MediaType.choices)
    codec = serializers.ChoiceField(choices=Codec.choices, required=False, allow_blank=True)


class FailureIn(serializers.Serializer):
    reason = serializers.CharField(max_length=255)


class CaptureOut(serializers.Serializer):
    """One track the media server must be recording now, and the recording it records into."""

    track_sid = serializers.CharField(source="track_id")
    recording_sid = serializers.CharField(source="sid")
    kind = serializers.CharField(source="type")
    codec = serializers.CharField()
    container_format = serializers.CharField()


class RoomStateOut(serializers.Serializer):
    """Every answer: what to capture now, and which stopped recordings still await their file."""

    room_sid = serializers.CharField(source="room.sid")
    room_status = serializers.CharField(source="room.status")
    capture = CaptureOut(many=True)
    awaiting_media = serializers.ListField(child=serializers.CharField())
