"""The media store: where recording files live. One interface; the local folder is the default.

Keys are relative paths like ``AC…/RM…/RT….mka``, checked by ``keys.check_key`` in every call:
a write or delete names the account it is for and is refused outside that account's prefix.
Writes are streamed, atomic (a reader never sees half a file) and create-only (a key already
stored is never replaced); deletes are idempotent (already gone is success).
"""

import contextlib
import functools
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from recordings.media.keys import MediaKeyTaken, MediaStoreUnavailable, UnsafeMediaKey, check_key
from recordings.media.signed import signed_media_url

CHUNK_SIZE = 1024 * 1024
# Files a save in progress writes before renaming them into place.
_TEMP_PREFIX = ".upload-"


class MediaStore(Protocol):
    """What every media store offers."""

    def save(self, key: str, stream: BinaryIO, *, account_sid: str) -> int: ...
    def open(self, key: str) -> BinaryIO: ...
    def size(self, key: str) -> int: ...
    def exists(self, key: str) -> bool: ...
    def delete(self, key: str, *, account_sid: str) -> None: ...
    def delete_many(self, keys: list[str], *, account_sid: str) -> None: ...
    def keys(self, *, prefix: str = "") -> Iterator[str]: ...
    def url(
        self, *, key: str, sid: str, ttl: int, content_type: str, disposition: str, base_url: str
    ) -> str: ...


class LocalMediaStore:
    """Media files in a folder on this machine (``MEDIA_ROOT``, by default ``DATA_DIR/media``)."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def _path(self, key: str, *, account_sid: str | None = None) -> Path:
        path = (self.root / check_key(key, account_sid=account_sid)).resolve()
        # A plain key can still lead out through a symbolic link inside the root.
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError(f"media key outside the store: {key!r}")
        return path

    def save(self, key: str, stream: BinaryIO, *, account_sid: str) -> int:
        """Copy a stream into the store under key (in the account's prefix) and return its size
        in bytes; raise MediaKeyTaken, replacing nothing, when the key is already stored.

        A folder that cannot be written to (missing mount, permissions) raises
        MediaStoreUnavailable, as an unreachable S3 does: the caller answers 503, not 500.
        """
        path = self._path(key, account_sid=account_sid)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=_TEMP_PREFIX)
        except OSError as exc:
            raise MediaStoreUnavailable(f"The media folder cannot be written: {exc}") from exc
        try:
            with os.fdopen(fd, "wb") as out:
                shutil.copyfileobj(stream, out, CHUNK_SIZE)
            size = os.stat(tmp).st_size
            # A link, unlike a rename, fails when the name exists: nothing is ever replaced.
            os.link(tmp, path)
        except FileExistsError:
            raise MediaKeyTaken(key) from None
        finally:
            # Not wrapped: an error here may be the source stream's, not the store's.
            Path(tmp).unlink(missing_ok=True)
        return size

    def keys(self, *, prefix: str = "") -> Iterator[str]:
        """Yield the key of every stored file whose key starts with prefix."""
        for folder, _dirs, files in os.walk(self.root):
            for name in files:
                key = Path(folder, name).relative_to(self.root).as_posix()
                if not name.startswith(_TEMP_PREFIX) and key.startswith(prefix):
                    yield key

    def open(self, key: str) -> BinaryIO:
        """Open a stored file for reading."""
        return self._path(key).open("rb")

    def size(self, key: str) -> int:
        """Return a stored file's size in bytes."""
        return self._path(key).stat().st_size

    def exists(self, key: str) -> bool:
        """Tell whether a file is stored under key."""
        return self._path(key).is_file()

    def delete(self, key: str, *, account_sid: str) -> None:
        """Remove a stored file of the account; a file already gone is not an error."""
        self._path(key, account_sid=account_sid).unlink(missing_ok=True)

    def delete_many(self, keys: list[str], *, account_sid: str) -> None:
        """Remove stored files of the account; keys outside it are left alone (never its own)."""
        for key in keys:
            with contextlib.suppress(UnsafeMediaKey):
                self.delete(key, account_sid=account_sid)

    def url(
        self, *, key: str, sid: str, ttl: int, content_type: str, disposition: str, base_url: str
    ) -> str:
        """Return our own signed URL (served by recordings.media.views, with Range) of recording
        sid's media for ttl s."""
        return signed_media_url(
            base_url=base_url,
            key=check_key(key),
            sid=sid,
            ttl=ttl,
            content_type=content_type,
            disposition=disposition,
        )


@functools.cache
def get_media_store() -> MediaStore:
    """Return this process's media store, as ``MEDIA_STORAGE`` selects."""
    if settings.MEDIA_STORAGE == "local":
        return LocalMediaStore(settings.MEDIA_ROOT)
    if settings.MEDIA_STORAGE == "s3":
        if not settings.AWS_STORAGE_BUCKET_NAME:
            raise ImproperlyConfigured("MEDIA_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME")
        from recordings.media.s3 import S3MediaStore

        return S3MediaStore(settings.AWS_STORAGE_BUCKET_NAME)
    raise ImproperlyConfigured(f"MEDIA_STORAGE={settings.MEDIA_STORAGE!r} is not supported")
