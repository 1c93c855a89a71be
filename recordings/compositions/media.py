"""Where a composition's file is: our store, or its account's own bucket."""

from recordings.compositions.models import Composition, CompositionSettings
from recordings.media.external import stored_at
from recordings.media.store import MediaStore


def media_store_for(composition: Composition) -> MediaStore:
    """Return the store holding a composition's file: its account's bucket (read with the
    credentials its composition settings name now), or ours."""
    credentials_sid = None
    if composition.media_external_location:
        credentials_sid = (
            CompositionSettings.objects.filter(account_id=composition.account_id)
            .values_list("aws_credentials_sid", flat=True)
            .first()
        )
    return stored_at(
        account_id=composition.account_id,
        key=composition.media_key,
        external_location=composition.media_external_location,
        credentials_sid=credentials_sid,
    )
