"""An account's recording defaults."""

from django.db import transaction

from console.models import Account
from console.services import SYSTEM, Actor, audit_record
from recordings.models import RecordingSettings


@transaction.atomic
def recording_settings_update(
    *, account: Account, record_participants_on_connect: bool, actor: Actor = SYSTEM
) -> RecordingSettings:
    """Set whether new group rooms record participants on connect when the request does not say."""
    row, _ = RecordingSettings.objects.select_for_update().get_or_create(account=account)
    previous = row.record_participants_on_connect
    row.record_participants_on_connect = record_participants_on_connect
    row.save(update_fields=["record_participants_on_connect", "date_updated"])
    audit_record(
        account=account,
        actor=actor,
        action="recording_settings.update",
        object_sid=account.sid,
        object_repr=f"record on connect: {previous} → {record_participants_on_connect}",
    )
    return row
