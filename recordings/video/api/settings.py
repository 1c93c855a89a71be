"""/v1/RecordingSettings/Default (reference §7) and the account's credentials (/v1/Credentials).

``/v1/Credentials/PublicKeys`` and ``/v1/Credentials/AWS`` stand in for Twilio's Accounts API
resources of the same names (accounts.twilio.com/v1/Credentials/…): a public key's SID (CR…) is
what ``EncryptionKeySid`` names, AWS credentials' SID what ``AwsCredentialsSid`` names. An AWS
secret is taken once and never answered again.
"""

from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response

from console import selectors
from console.roles import Action
from recordings.twilio_api.errors import invalid_parameter, not_found
from recordings.twilio_api.paging import api_base_url
from recordings.twilio_api.params import TwilioBooleanField, require_valid
from recordings.twilio_api.views import ERROR, TwilioAPIView, actor_of
from recordings.video.api.serializers import TwilioDateTimeField
from recordings.video.models import PublicKey, RecordingSettings
from recordings.video.services.settings import (
    InvalidSetting,
    aws_credential_create,
    aws_credential_delete,
    aws_credential_update,
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
    "credentials": "Credentials",
}


class RecordingSettingsParams(serializers.Serializer):
    """``POST /v1/RecordingSettings/Default``: FriendlyName is required (reference)."""

    FriendlyName = serializers.CharField(max_length=255, allow_blank=True, trim_whitespace=False)
    # Blank names no credentials (the bucket must then be one the operator allows).
    AwsCredentialsSid = serializers.RegexField(CREDENTIAL_SID, required=False, allow_blank=True)
    EncryptionKeySid = serializers.RegexField(CREDENTIAL_SID, required=False)
    AwsS3Url = serializers.URLField(required=False, max_length=1024)
    AwsStorageEnabled = TwilioBooleanField(required=False)
    EncryptionEnabled = TwilioBooleanField(required=False)

    def service_kwargs(self) -> dict[str, object]:
        fields = {parameter: field for field, parameter in PARAMETER_FOR_FIELD.items()}
        kwargs = {fields[name]: value for name, value in self.validated_data.items()}
        if "aws_credentials_sid" in kwargs:
            kwargs["aws_credentials_sid"] = kwargs["aws_credentials_sid"] or None
        return kwargs


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

    path = "/v1/RecordingSettings/Default"

    def get_url(self, row) -> str:
        return self.context["base_url"] + self.path


class PublicKeyParams(serializers.Serializer):
    PublicKey = serializers.CharField(max_length=16 * 1024, trim_whitespace=False)
    FriendlyName = serializers.CharField(required=False, max_length=64, allow_blank=True)


class CredentialSerializer(serializers.Serializer):
    """A credential resource of ``/v1/Credentials/{path}``: never its key material."""

    path: str
    sid = serializers.CharField()
    account_sid = serializers.CharField(source="account_id")
    friendly_name = serializers.CharField()
    date_created = TwilioDateTimeField()
    date_updated = TwilioDateTimeField()
    url = serializers.SerializerMethodField()

    def get_url(self, credential) -> str:
        return f"{self.context['base_url']}/v1/Credentials/{self.path}/{credential.sid}"


class PublicKeySerializer(CredentialSerializer):
    path = "PublicKeys"


class AwsCredentialSerializer(CredentialSerializer):
    """The ``accounts.v1.credential_aws`` resource: no key ID, no secret."""

    path = "AWS"


def settings_invalid(exc: InvalidSetting):
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
            raise settings_invalid(exc) from None
        return self.render(row)


class AwsCredentialParams(serializers.Serializer):
    Credentials = serializers.CharField(max_length=300, trim_whitespace=False)
    FriendlyName = serializers.CharField(required=False, max_length=64, allow_blank=True)


class AwsCredentialUpdateParams(serializers.Serializer):
    FriendlyName = serializers.CharField(max_length=64, allow_blank=True)


class CredentialList(TwilioAPIView):
    """List (the newest 1,000) and create one kind of the account's credentials."""

    required_action = Action.ADMINISTER
    params_class: type[serializers.Serializer]
    serializer_class: type[CredentialSerializer]

    def credentials(self):
        raise NotImplementedError

    def create(self, params: dict, *, actor):
        raise NotImplementedError

    def get(self, request):
        context = self.serializer_context()
        data = self.serializer_class(self.credentials()[:1000], many=True, context=context).data
        return Response({"credentials": data})

    def post(self, request):
        params = require_valid(self.params_class(data=request.data))
        try:
            credential = self.create(params.validated_data, actor=actor_of(request))
        except InvalidSetting as exc:
            raise settings_invalid(exc) from None
        data = self.serializer_class(credential, context=self.serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED)


def _credential_schema(name: str, params, serializer):
    return extend_schema_view(
        get=extend_schema(
            operation_id=f"ListCredential{name}",
            responses={
                200: inline_serializer(
                    f"ListCredential{name}Response", {"credentials": serializer(many=True)}
                )
            },
        ),
        post=extend_schema(
            operation_id=f"CreateCredential{name}",
            request=params,
            responses={201: serializer, 400: ERROR},
        ),
    )


@_credential_schema("PublicKey", PublicKeyParams, PublicKeySerializer)
class PublicKeyList(CredentialList):
    params_class = PublicKeyParams
    serializer_class = PublicKeySerializer

    def credentials(self):
        return PublicKey.objects.filter(account=self.account).order_by("-date_created", "-sid")

    def create(self, params: dict, *, actor):
        return public_key_create(
            account=self.account,
            public_key=params["PublicKey"],
            friendly_name=params.get("FriendlyName", ""),
            actor=actor,
        )


@_credential_schema("Aws", AwsCredentialParams, AwsCredentialSerializer)
class AwsCredentialList(CredentialList):
    params_class = AwsCredentialParams
    serializer_class = AwsCredentialSerializer

    def credentials(self):
        return selectors.aws_credentials_of(account=self.account)

    def create(self, params: dict, *, actor):
        return aws_credential_create(
            account=self.account,
            credentials=params["Credentials"],
            friendly_name=params.get("FriendlyName", ""),
            actor=actor,
        )


class AwsCredentialInstance(TwilioAPIView):
    required_action = Action.ADMINISTER

    def credential_or_404(self, sid: str):
        credential = selectors.aws_credential_get(account=self.account, sid=sid)
        if credential is None:
            raise not_found(f"/Credentials/AWS/{sid}")
        return credential

    def render(self, credential) -> Response:
        return Response(AwsCredentialSerializer(credential, context=self.serializer_context()).data)

    @extend_schema(
        operation_id="FetchCredentialAws", responses={200: AwsCredentialSerializer, 404: ERROR}
    )
    def get(self, request, sid):
        return self.render(self.credential_or_404(sid))

    @extend_schema(
        operation_id="UpdateCredentialAws",
        request=AwsCredentialUpdateParams,
        responses={200: AwsCredentialSerializer, 400: ERROR, 404: ERROR},
    )
    def post(self, request, sid):
        credential = self.credential_or_404(sid)
        params = require_valid(AwsCredentialUpdateParams(data=request.data))
        return self.render(
            aws_credential_update(
                credential=credential,
                friendly_name=params.validated_data["FriendlyName"],
                actor=actor_of(request),
            )
        )

    @extend_schema(
        operation_id="DeleteCredentialAws", responses={204: None, 404: ERROR, 409: ERROR}
    )
    def delete(self, request, sid):
        aws_credential_delete(credential=self.credential_or_404(sid), actor=actor_of(request))
        return Response(status=status.HTTP_204_NO_CONTENT)
