"""Whether this process's media store answers, for /readyz (registered by the lifecycle app)."""

import tempfile

from recordings.media.s3 import S3MediaStore
from recordings.media.store import LocalMediaStore, get_media_store


def media_store_ready() -> None:
    """Raise unless the media store takes files: the local folder is writable, the bucket is
    there (a HEAD with the one S3 client of this process)."""
    store = get_media_store()
    if isinstance(store, LocalMediaStore):
        if not store.root.is_dir():
            raise FileNotFoundError(f"MEDIA_ROOT {store.root} is not a folder")
        # Writing is the only test that holds for root and read-only mounts alike.
        with tempfile.NamedTemporaryFile(dir=store.root, prefix=".readyz-"):
            pass
    elif isinstance(store, S3MediaStore):
        store.client.head_bucket(Bucket=store.bucket)
