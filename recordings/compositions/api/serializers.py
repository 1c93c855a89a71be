"""Output serializers of the composition resources, with Twilio's field names (the reference's
``video.v1.composition``, ``…composition_hook``, ``…composition_settings``)."""

from rest_framework import serializers

from recordings.compositions.models import Composition, CompositionHook
from recordings.video.api.serializers import TwilioDateTimeField
from recordings.video.api.settings import RecordingSettingsSerializer


class _SpecFields(serializers.Serializer):
    audio_sources = serializers.ListField(child=serializers.CharField())
    audio_sources_excluded = serializers.ListField(child=serializers.CharField())
    video_layout = serializers.DictField()
    resolution = serializers.CharField()
    trim = serializers.BooleanField()
    format = serializers.CharField()
    status_callback = serializers.CharField(allow_null=True)
    status_callback_method = serializers.CharField()


class CompositionSerializer(_SpecFields):
    account_sid = serializers.CharField(source="account_id")
    status = serializers.CharField()
    date_created = TwilioDateTimeField()
    date_completed = TwilioDateTimeField(allow_null=True)
    date_deleted = TwilioDateTimeField(allow_null=True)
    sid = serializers.CharField()
    room_sid = serializers.CharField(source="room_id")
    bitrate = serializers.IntegerField(allow_null=True)
    size = serializers.IntegerField(allow_null=True)
    duration = serializers.IntegerField(allow_null=True)
    media_external_location = serializers.CharField(allow_null=True)
    url = serializers.SerializerMethodField()
    links = serializers.SerializerMethodField()

    def get_url(self, composition: Composition) -> str:
        return f"{self.context['base_url']}/v1/Compositions/{composition.sid}"

    def get_links(self, composition: Composition) -> dict[str, str]:
        return {"media": self.get_url(composition) + "/Media"}


class CompositionHookSerializer(_SpecFields):
    account_sid = serializers.CharField(source="account_id")
    friendly_name = serializers.CharField()
    enabled = serializers.BooleanField()
    date_created = TwilioDateTimeField()
    date_updated = TwilioDateTimeField()
    sid = serializers.CharField()
    url = serializers.SerializerMethodField()

    def get_url(self, hook: CompositionHook) -> str:
        return f"{self.context['base_url']}/v1/CompositionHooks/{hook.sid}"


class CompositionSettingsSerializer(RecordingSettingsSerializer):
    """The ``video.v1.composition_settings`` resource: the recording settings' storage fields."""

    path = "/v1/CompositionSettings/Default"
