"""Where a video recording's media is (our store, or its account's own bucket), and its signed
URL."""

from recordings.media.external import stored_at
from recordings.media.store import MediaStore
from recordings.video.choices import CONTENT_TYPE_FOR_CONTAINER
from recordings.video.models import Recording, RecordingSettings


def media_store_for(recording: Recording) -> MediaStore:
    """Return the store holding a recording's media: its account's bucket (read with the
    credentials the account's recording settings name now), or ours."""
    return stored_at(
        account_id=recording.account_id,
        key=recording.media_key,
        external_location=recording.media_external_location,
        settings_model=RecordingSettings,
    )


def media_url(recording: Recording, *, base_url: str, ttl: int, disposition: str) -> str:
    """Return a signed, expiring URL of a recording's media (the API's, the console's pages' and
    the room player's)."""
    return media_store_for(recording).url(
        base_url=base_url,
        key=recording.media_key,
        sid=recording.sid,
        ttl=ttl,
        content_type=CONTENT_TYPE_FOR_CONTAINER[recording.container_format],
        disposition=disposition,
    )
