"""Where a video recording's media is: our store, or its account's own bucket."""

from recordings.media.external import stored_at
from recordings.media.store import MediaStore
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
