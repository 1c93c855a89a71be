"""The webhook log's resources, in the snake_case of Twilio's bodies. ``url`` is the resource's
own URL, as in every Twilio resource; the URL a callback is sent to is ``callback_url``."""

from rest_framework import serializers

from recordings.lifecycle.models import CallbackAttempt, CallbackDelivery
from recordings.lifecycle.signing import request_url

TWILIO_DATETIME = "%Y-%m-%dT%H:%M:%SZ"


class _TwilioDateTimeField(serializers.DateTimeField):
    def __init__(self, **kwargs):
        super().__init__(format=TWILIO_DATETIME, **kwargs)


class CallbackDeliverySerializer(serializers.ModelSerializer):
    """A ``/roomvault/v1/CallbackDeliveries`` resource: one status callback and how it went."""

    id = serializers.IntegerField()
    account_sid = serializers.CharField(source="account_id")
    event = serializers.CharField()
    callback_url = serializers.URLField(source="url")
    callback_method = serializers.CharField(source="method")
    params = serializers.DictField(child=serializers.CharField())
    status = serializers.ChoiceField(choices=CallbackDelivery.Status.choices)
    recording_sid = serializers.SerializerMethodField()
    room_sid = serializers.CharField(source="room_id", allow_null=True)
    replay_of = serializers.IntegerField(source="replay_of_id", allow_null=True)
    date_created = _TwilioDateTimeField()
    date_updated = _TwilioDateTimeField()
    url = serializers.SerializerMethodField()
    links = serializers.SerializerMethodField()

    class Meta:
        model = CallbackDelivery
        fields: tuple[str, ...] = (
            "id",
            "account_sid",
            "event",
            "callback_url",
            "callback_method",
            "params",
            "status",
            "recording_sid",
            "room_sid",
            "replay_of",
            "date_created",
            "date_updated",
            "url",
            "links",
        )

    def resource_url(self, delivery: CallbackDelivery) -> str:
        return f"{self.context['base_url']}/roomvault/v1/CallbackDeliveries/{delivery.pk}"

    def get_recording_sid(self, delivery: CallbackDelivery) -> str | None:
        return delivery.recording_sid or None

    def get_url(self, delivery: CallbackDelivery) -> str:
        return self.resource_url(delivery)

    def get_links(self, delivery: CallbackDelivery) -> dict[str, str]:
        return {"replay": self.resource_url(delivery) + "/Replay"}


class _AttemptRequestSerializer(serializers.Serializer):
    method = serializers.CharField()
    url = serializers.URLField(help_text="As sent: with the parameters in its query for GET")
    params = serializers.DictField(child=serializers.CharField())
    signature = serializers.CharField(help_text="The X-Twilio-Signature header's value")


class _AttemptResponseSerializer(serializers.Serializer):
    status_code = serializers.IntegerField(allow_null=True, help_text="null: no answer")
    duration_ms = serializers.IntegerField()
    error = serializers.CharField(help_text="Why no answer came, or the guard's refusal")
    body = serializers.CharField(help_text="The first 1,024 characters of the answer")


class CallbackAttemptSerializer(serializers.Serializer):
    """One HTTP attempt at a callback: what was sent and what came back."""

    number = serializers.IntegerField()
    date_created = _TwilioDateTimeField()
    request = _AttemptRequestSerializer()
    response = _AttemptResponseSerializer()

    def to_representation(self, attempt: CallbackAttempt) -> dict[str, object]:
        delivery = attempt.delivery
        return {
            "number": attempt.number,
            "date_created": attempt.date_created.strftime(TWILIO_DATETIME),
            "request": {
                "method": delivery.method,
                "url": request_url(delivery.url, delivery.method, delivery.params),
                "params": delivery.params,
                "signature": attempt.signature,
            },
            "response": {
                "status_code": attempt.status_code,
                "duration_ms": attempt.duration_ms,
                "error": attempt.error,
                "body": attempt.response_body,
            },
        }


class CallbackDeliveryDetailSerializer(CallbackDeliverySerializer):
    """A ``/roomvault/v1/CallbackDeliveries/{delivery_id}`` resource, with every attempt."""

    attempts = CallbackAttemptSerializer(many=True)

    class Meta(CallbackDeliverySerializer.Meta):
        fields = (*CallbackDeliverySerializer.Meta.fields, "attempts")
