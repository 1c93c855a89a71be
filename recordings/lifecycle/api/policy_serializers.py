"""Retention policies on the wire: the parameters a policy is written with (Twilio's spelling,
form-encoded) and its resources, its preview and its runs in the snake_case of Twilio's bodies."""

from typing import Any

from rest_framework import serializers

from recordings.lifecycle.api.serializers import TWILIO_DATETIME
from recordings.lifecycle.models import BulkDeletion, RetentionPolicy
from recordings.lifecycle.policies import MAX_AGE_DAYS, policy_in_words
from recordings.twilio_api.params import TwilioBooleanField


class _TwilioDateTimeField(serializers.DateTimeField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format=TWILIO_DATETIME, **kwargs)


class PolicyParams(serializers.Serializer):
    """What a policy deletes and when; every field is optional on an update (POST to the SID)."""

    Name = serializers.CharField(max_length=255, help_text="What people call the policy")
    Product = serializers.ChoiceField(
        choices=BulkDeletion.Product.choices,
        help_text="Which Logs the policy deletes from; it cannot change once created",
    )
    Query = serializers.CharField(
        max_length=4000,
        allow_blank=True,
        trim_whitespace=False,
        required=False,
        default="",
        help_text="The Logs filter as its console URL's query, e.g. `room=standup&type=audio`; "
        "empty: every recording of the kind",
    )
    AgeDays = serializers.IntegerField(
        min_value=1,
        max_value=MAX_AGE_DAYS,
        help_text="Recordings are deleted this many days after their creation",
    )
    Enabled = TwilioBooleanField(required=False, default=True, help_text="Run daily; default true")


class PreviewParams(PolicyParams):
    """What a preview is of: a policy's kind, filter and age (its name and state do not matter)."""

    Name = serializers.CharField(max_length=255, required=False, allow_blank=True)
    Enabled = TwilioBooleanField(required=False)


class RetentionPolicySerializer(serializers.ModelSerializer):
    """A ``/roomvault/v1/RetentionPolicies/{Sid}`` resource."""

    account_sid = serializers.CharField(source="account_id")
    in_words = serializers.SerializerMethodField(help_text="What the policy deletes, in words")
    date_created = _TwilioDateTimeField()
    date_updated = _TwilioDateTimeField()
    date_last_run = _TwilioDateTimeField(allow_null=True)
    url = serializers.SerializerMethodField()
    links = serializers.SerializerMethodField()

    class Meta:
        model = RetentionPolicy
        fields = (
            "sid",
            "account_sid",
            "name",
            "product",
            "query",
            "age_days",
            "enabled",
            "in_words",
            "created_by",
            "date_created",
            "date_updated",
            "date_last_run",
            "url",
            "links",
        )

    def get_in_words(self, policy: RetentionPolicy) -> str:
        return policy_in_words(policy)

    def get_url(self, policy: RetentionPolicy) -> str:
        return f"{self.context['base_url']}/roomvault/v1/RetentionPolicies/{policy.sid}"

    def get_links(self, policy: RetentionPolicy) -> dict[str, str]:
        return {"runs": self.get_url(policy) + "/Runs"}


class _SampleSerializer(serializers.Serializer):
    sid = serializers.CharField()
    date_created = _TwilioDateTimeField()


class PreviewSerializer(serializers.Serializer):
    """What a policy would delete if it ran now: how many, the cutoff, and the newest few."""

    count = serializers.IntegerField()
    cutoff = _TwilioDateTimeField(help_text="Recordings created on or before it are deleted")
    in_words = serializers.CharField()
    sample = _SampleSerializer(many=True)


class PolicyRunSerializer(serializers.ModelSerializer):
    """One run of a policy: the bulk deletion it queued and how far it went."""

    id = serializers.IntegerField()
    # Text, not an enum: a "status" enum of its own would collide with the other resources'.
    status = serializers.CharField(help_text="`queued`, `running`, `done` or `failed`")
    cutoff = _TwilioDateTimeField(source="created_until", allow_null=True)
    date_created = _TwilioDateTimeField()
    date_finished = _TwilioDateTimeField(allow_null=True)

    class Meta:
        model = BulkDeletion
        fields = (
            "id",
            "status",
            "total",
            "done",
            "held",
            "skipped",
            "failed",
            "cutoff",
            "date_created",
            "date_finished",
        )
