"""/v1/RecordingSettings/Default (reference §7) and the account's public keys (/v1/Credentials).

``POST /v1/Credentials/PublicKeys`` is a minimal stand-in for Twilio's Accounts API resource of the
same name: the key SID (CR…) is what ``EncryptionKeySid`` names.
"""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response

from console.roles import Action
from recordings.api.errors import invalid_parameter
from recordings.api.paging import api_base_url
from recordings.api.params import TwilioBooleanField, require_valid
from recordings.api.serializers import TwilioDateTimeField
from recordings.api.views import ERROR, TwilioAPIView, actor_of
from recordings.models import PublicKey, RecordingSettings
from recordings.services.settings import (
    InvalidSetting,
    public_key_create,
    recording_settings_update,
)

CREDENTIAL_SID = r"^CR[0-9a-fA-F]{32}$"
PARAMETER_FOR_FIELD = {
    "friendly_name": "FriendlyName",
    "aws_credentials_sid": "AwsCredentialsSid",
    "encryption_key_sid": "EncryptionKeySid",
    "aws_s3_url": "AwsS3Url",
    "aws_storage_enabled": "AwsStorageEnabled",
    "encryption_enabled": "EncryptionEnabled",
    "public_key": "PublicKey",
}


class RecordingSettingsParams(serializers.Serializer):
    """``POST /v1/RecordingSettings/Default``: FriendlyName is required (reference)."""

    FriendlyName = serializers.CharField(max_length=255, allow_blank=True, trim_whitespace=False)
    AwsCredentialsSid = serializers.RegexField(CREDENTIAL_SID, required=False)
    EncryptionKeySid = serializers.RegexField(CREDENTIAL_SID, required=False)
    AwsS3Url = serializers.URLField(required=False, max_length=1024)
    AwsStorageEnabled = TwilioBooleanField(required=False)
    EncryptionEnabled = TwilioBooleanField(required=False)

    def service_kwargs(self) -> dict[str, object]:
        fields = {parameter: field for field, parameter in PARAMETER_FOR_FIELD.items()}
        return {fields[name]: value for name, value in self.validated_data.items()}


class RecordingSettingsSerializer(serializers.Serializer):
    """The ``video.v1.recording_settings`` resource."""

    account_sid = serializers.CharField(source="account_id")
    friendly_name = serializers.CharField(allow_null=True)
    aws_credentials_sid = serializers.CharField(allow_null=True)
    aws_s3_url = serializers.CharField(allow_null=True)
    aws_storage_enabled = serializers.BooleanField()
    encryption_key_sid = serializers.CharField(allow_null=True)
    encryption_enabled = serializers.BooleanField()
    url = serializers.SerializerMethodField()

    def get_url(self, row) -> str:
        return self.context["base_url"] + "/v1/RecordingSettings/Default"


class PublicKeyParams(serializers.Serializer):
    PublicKey = serializers.CharField(max_length=16 * 1024, trim_whitespace=False)
    FriendlyName = serializers.CharField(required=False, max_length=64, allow_blank=True)


class PublicKeySerializer(serializers.Serializer):
    sid = serializers.CharField()
    account_sid = serializers.CharField(source="account_id")
    friendly_name = serializers.CharField()
    date_created = TwilioDateTimeField()
    date_updated = TwilioDateTimeField()
    url = serializers.SerializerMethodField()

    def get_url(self, key) -> str:
        return f"{self.context['base_url']}/v1/Credentials/PublicKeys/{key.sid}"


def _invalid(exc: InvalidSetting):
    return invalid_parameter(PARAMETER_FOR_FIELD.get(exc.field, exc.field), exc.message)


class RecordingSettingsDefault(TwilioAPIView):
    required_action = Action.ADMINISTER

    def render(self, row) -> Response:
        context = {"base_url": api_base_url(self.request)}
        return Response(RecordingSettingsSerializer(row, context=context).data)

    @extend_schema(
        operation_id="FetchRecordingSettings",
        responses={200: RecordingSettingsSerializer, 401: ERROR},
    )
    def get(self, request):
        row = RecordingSettings.objects.filter(account=self.account).first()
        return self.render(row or RecordingSettings(account=self.account))

    @extend_schema(
        operation_id="CreateRecordingSettings",
        request=RecordingSettingsParams,
        responses={200: RecordingSettingsSerializer, 400: ERROR},
    )
    def post(self, request):
        params = require_valid(RecordingSettingsParams(data=request.data))
        try:
            row = recording_settings_update(
                account=self.account, actor=actor_of(request), **params.service_kwargs()
            )
        except InvalidSetting as exc:
            raise _invalid(exc) from None
        return self.render(row)


class PublicKeyList(TwilioAPIView):
    required_action = Action.ADMINISTER

    @extend_schema(
        operation_id="ListCredentialPublicKey",
        responses={
            200: inline_serializer(
                "ListCredentialPublicKeyResponse", {"credentials": PublicKeySerializer(many=True)}
            )
        },
    )
    def get(self, request):
        keys = PublicKey.objects.filter(account=self.account).order_by("-date_created", "-sid")
        data = PublicKeySerializer(keys[:1000], many=True, context=self.serializer_context()).data
        return Response({"credentials": data})

    @extend_schema(
        operation_id="CreateCredentialPublicKey",
        request=PublicKeyParams,
        responses={201: PublicKeySerializer, 400: ERROR},
    )
    def post(self, request):
        params = require_valid(PublicKeyParams(data=request.data))
        try:
            key = public_key_create(
                account=self.account,
                public_key=params.validated_data["PublicKey"],
                friendly_name=params.validated_data.get("FriendlyName", ""),
                actor=actor_of(request),
            )
        except InvalidSetting as exc:
            raise _invalid(exc) from None
        data = PublicKeySerializer(key, context=self.serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED)
