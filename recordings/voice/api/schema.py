"""The OpenAPI description of the 2010-04-01 bodies, field for field as Twilio's reference types
them. The bodies themselves are built as plain dicts (recordings/voice/api/serializers.py), which
drf-spectacular cannot read, so without these the schema would say only "object"."""

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

RFC_2822 = "RFC 2822 date, e.g. Tue, 01 Dec 2026 10:00:00 +0000"


class V2010RecordingBase(serializers.Serializer):
    account_sid = serializers.CharField()
    api_version = serializers.CharField()
    call_sid = serializers.CharField(allow_null=True)
    conference_sid = serializers.CharField(allow_null=True)
    date_created = serializers.CharField(help_text=RFC_2822)
    date_updated = serializers.CharField(help_text=RFC_2822)
    start_time = serializers.CharField(allow_null=True, help_text=RFC_2822)
    duration = serializers.CharField(allow_null=True, help_text="seconds; -1 while processing")
    sid = serializers.CharField()
    price = serializers.CharField(allow_null=True)
    price_unit = serializers.CharField(allow_null=True)
    status = serializers.CharField(
        help_text="in-progress, paused, stopped, processing, completed, absent, failed or deleted"
    )
    channels = serializers.IntegerField(allow_null=True)
    source = serializers.CharField()
    error_code = serializers.IntegerField(allow_null=True)
    encryption_details = serializers.JSONField(allow_null=True)
    uri = serializers.CharField()


class V2010Recording(V2010RecordingBase):
    subresource_uris = serializers.DictField(child=serializers.CharField())
    media_url = serializers.URLField()


class V2010CallRecording(V2010RecordingBase):
    track = serializers.CharField(help_text="inbound, outbound or both")


class V2010ConferenceRecording(V2010RecordingBase):
    pass


class V2010Transcription(serializers.Serializer):
    account_sid = serializers.CharField()
    api_version = serializers.CharField()
    date_created = serializers.CharField(help_text=RFC_2822)
    date_updated = serializers.CharField(help_text=RFC_2822)
    duration = serializers.CharField(allow_null=True)
    price = serializers.FloatField(allow_null=True)
    price_unit = serializers.CharField(allow_null=True)
    recording_sid = serializers.CharField()
    sid = serializers.CharField()
    status = serializers.CharField()
    transcription_text = serializers.CharField(allow_null=True)
    type = serializers.CharField(allow_null=True)
    uri = serializers.CharField()


def page_of(name: str, key: str, item: type[serializers.Serializer]):
    """Return the schema of a 2010-04-01 page: its paging fields and the list under ``key``."""
    return inline_serializer(
        name,
        {
            "first_page_uri": serializers.CharField(),
            "end": serializers.IntegerField(),
            "previous_page_uri": serializers.CharField(allow_null=True),
            key: item(many=True),
            "uri": serializers.CharField(),
            "page_size": serializers.IntegerField(),
            "start": serializers.IntegerField(),
            "next_page_uri": serializers.CharField(allow_null=True),
            "page": serializers.IntegerField(),
        },
    )
