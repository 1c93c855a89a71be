"""The trash's resources, in the snake_case of Twilio's bodies: the account's trash setting and
each recording kept in the trash."""

from django.conf import settings
from rest_framework import serializers

from console.models import Account
from recordings.lifecycle.api.serializers import TWILIO_DATETIME
from recordings.lifecycle.models import TrashedItem
from recordings.twilio_api.params import TwilioBooleanField

TRASH_PATH = "/roomvault/v1/Trash"


class TrashSettingsParams(serializers.Serializer):
    Enabled = TwilioBooleanField(
        help_text="true: a delete keeps the media in the trash TRASH_DAYS days, restorable; "
        "false: a delete removes the media at once (Twilio's meaning)"
    )


class TrashSettingsSerializer(serializers.Serializer):
    """The ``/roomvault/v1/TrashSettings`` resource: whether deletes go to the trash."""

    account_sid = serializers.CharField(source="sid")
    enabled = serializers.BooleanField(source="trash_enabled")
    trash_days = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    def get_trash_days(self, account: Account) -> int:
        return settings.TRASH_DAYS

    def get_url(self, account: Account) -> str:
        return f"{self.context['base_url']}/roomvault/v1/TrashSettings"


class TrashedItemSerializer(serializers.ModelSerializer):
    """A ``/roomvault/v1/Trash/{Sid}`` resource: a deleted recording whose media is kept until
    ``date_expires``, and the status a restore gives it back."""

    sid = serializers.CharField()
    account_sid = serializers.CharField(source="account_id")
    kind = serializers.CharField()
    description = serializers.SerializerMethodField()
    previous_status = serializers.CharField()
    date_trashed = serializers.DateTimeField(format=TWILIO_DATETIME)
    date_expires = serializers.DateTimeField(format=TWILIO_DATETIME)
    url = serializers.SerializerMethodField()
    links = serializers.SerializerMethodField()

    class Meta:
        model = TrashedItem
        fields = (
            "sid",
            "account_sid",
            "kind",
            "description",
            "previous_status",
            "date_trashed",
            "date_expires",
            "url",
            "links",
        )

    def get_description(self, item: TrashedItem) -> str:
        # Empty when the recording's row is gone (purged while its item waited for expiry).
        return self.context["descriptions"].get(item.sid, "")

    def get_url(self, item: TrashedItem) -> str:
        return f"{self.context['base_url']}{TRASH_PATH}/{item.sid}"

    def get_links(self, item: TrashedItem) -> dict[str, str]:
        return {"restore": self.get_url(item) + "/Restore"}
