"""The legal holds' resources, in the snake_case of Twilio's bodies; output only (the create's
parameters are read by ``hold_forms.LegalHoldForm``)."""

from rest_framework import serializers

from recordings.lifecycle import holds
from recordings.lifecycle.api.serializers import _TwilioDateTimeField
from recordings.lifecycle.models import LegalHold


class LegalHoldSerializer(serializers.ModelSerializer):
    """A ``/roomvault/v1/LegalHolds`` resource: what a hold covers, who placed and released it."""

    account_sid = serializers.CharField(source="account_id")
    scope = serializers.ChoiceField(choices=LegalHold.Scope.choices)
    value = serializers.CharField(help_text="The room or call SID, or identity; empty for a filter")
    product = serializers.CharField(help_text="For a filter: video, voice or composition")
    query = serializers.CharField(help_text="For a filter: the Logs page's query")
    active = serializers.BooleanField(source="is_active")
    in_words = serializers.SerializerMethodField()
    date_created = _TwilioDateTimeField()
    date_released = _TwilioDateTimeField(allow_null=True)
    url = serializers.SerializerMethodField()
    links = serializers.SerializerMethodField()

    class Meta:
        model = LegalHold
        fields: tuple[str, ...] = (
            "sid",
            "account_sid",
            "name",
            "reason",
            "scope",
            "value",
            "product",
            "query",
            "active",
            "in_words",
            "created_by",
            "released_by",
            "date_created",
            "date_released",
            "url",
            "links",
        )

    def get_in_words(self, hold: LegalHold) -> str:
        return holds.in_words(hold)

    def get_url(self, hold: LegalHold) -> str:
        return f"{self.context['base_url']}/roomvault/v1/LegalHolds/{hold.sid}"

    def get_links(self, hold: LegalHold) -> dict[str, str]:
        return {"release": self.get_url(hold) + "/Release"}


class LegalHoldDetailSerializer(LegalHoldSerializer):
    """A ``/roomvault/v1/LegalHolds/{Sid}`` resource, with how many of each kind it covers now."""

    counts = serializers.SerializerMethodField(
        help_text="Recordings of each kind (by name) the hold covers now, deleted ones included"
    )

    class Meta(LegalHoldSerializer.Meta):
        fields = (*LegalHoldSerializer.Meta.fields, "counts")

    def get_counts(self, hold: LegalHold) -> dict[str, int]:
        return holds.hold_counts(hold)
