"""Where a composition's file is (our store, or its account's own bucket), and its signed URL."""

from recordings.compositions.choices import CONTENT_TYPE_FOR_FORMAT
from recordings.compositions.models import Composition, CompositionSettings
from recordings.media.external import stored_at
from recordings.media.store import MediaStore


def media_store_for(composition: Composition) -> MediaStore:
    """Return the store holding a composition's file: its account's bucket (read with the
    credentials its composition settings name now), or ours."""
    return stored_at(
        account_id=composition.account_id,
        key=composition.media_key,
        external_location=composition.media_external_location,
        settings_model=CompositionSettings,
    )


def media_url(composition: Composition, *, base_url: str, ttl: int, disposition: str) -> str:
    """Return a signed, expiring URL of a composition's file (the API's and the console's)."""
    return media_store_for(composition).url(
        base_url=base_url,
        key=composition.media_key,
        sid=composition.sid,
        ttl=ttl,
        content_type=CONTENT_TYPE_FOR_FORMAT[composition.format],
        disposition=disposition,
    )
