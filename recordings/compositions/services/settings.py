"""An account's composition settings: external S3 storage and encryption of composed files, checked
as the recording settings are (the same AWS credentials and public keys)."""

from console.models import Account
from console.services import SYSTEM, Actor
from recordings.compositions.models import CompositionSettings
from recordings.video.services.settings import storage_settings_update


def composition_settings_update(
    *, account: Account, actor: Actor = SYSTEM, **values: object
) -> CompositionSettings:
    """Change the given settings (friendly_name, aws_*, encryption_*), the others kept; raise
    InvalidSetting, changing nothing, if the result would be inconsistent. They apply to
    compositions completed from now on."""
    return storage_settings_update(
        CompositionSettings,
        account=account,
        action="composition_settings.update",
        actor=actor,
        **values,
    )
