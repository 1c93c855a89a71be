"""Where a video recording's media is: our store, or its account's own bucket."""

from recordings.media.external import S3Location, external_store, parse_s3_url
from recordings.media.store import MediaStore, get_media_store
from recordings.video.models import Recording, RecordingSettings


def media_store_for(recording: Recording) -> MediaStore:
    """Return the store holding a recording's media: its account's bucket (read with the
    credentials the account's settings name now), or ours."""
    if recording.media_external_location:
        credentials_sid = (
            RecordingSettings.objects.filter(account_id=recording.account_id)
            .values_list("aws_credentials_sid", flat=True)
            .first()
        )
        # The bucket's path is what its key holds before the account's own prefix.
        key = recording.media_key
        root = key[: max(key.find(f"{recording.account_id}/"), 0)]
        return external_store(
            account_id=recording.account_id,
            location=S3Location(
                bucket=parse_s3_url(recording.media_external_location).bucket, prefix=root
            ),
            credentials_sid=credentials_sid,
        )
    return get_media_store()
