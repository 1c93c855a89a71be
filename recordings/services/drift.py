"""Drift between recording metadata and the media store, found by a daily check.

Two kinds: a completed recording whose ``media_key`` names no stored file (metadata pointing at
missing media), and a stored file no recording references (orphaned media). The check reads only;
it reports counts and a few sample keys so that someone can look, and never deletes anything.

On the local store the folder is walked once and compared with the keys in the database. On
other stores (S3) only missing media is checked, one ``exists`` call per completed recording;
orphans would need the bucket listed and are not looked for (``orphans_checked`` is False).
"""

import os
from pathlib import Path

from console.models import Account
from recordings.choices import RecordingStatus
from recordings.media.store import LocalMediaStore, get_media_store
from recordings.models import Recording

# Files the store itself leaves while writing (LocalMediaStore.save's temporary files).
_TEMP_PREFIX = ".upload-"


def _local_keys(root: Path, *, prefix: str = "") -> set[str]:
    """Return the keys of every stored file under root (or under root/prefix)."""
    start = root / prefix if prefix else root
    keys = set()
    for folder, _dirs, files in os.walk(start):
        for name in files:
            if name.startswith(_TEMP_PREFIX):
                continue
            keys.add(Path(folder, name).relative_to(root).as_posix())
    return keys


def media_drift_report(*, account: Account | None = None, limit: int = 1000) -> dict:
    """Compare metadata with the media store (of one account, or all); return counts and samples.

    The counts are exact; each sample list holds at most ``limit`` keys, sorted.
    """
    store = get_media_store()
    # Media in an account's own bucket (external storage) is the account's to keep track of.
    recordings = Recording.objects.exclude(media_key="").filter(
        media_external_location__isnull=True
    )
    if account is not None:
        recordings = recordings.filter(account=account)
    completed = recordings.filter(status=RecordingStatus.COMPLETED).values_list(
        "media_key", flat=True
    )
    if isinstance(store, LocalMediaStore):
        # Keys start with the account SID, so one account's files are its own subfolder.
        stored = _local_keys(store.root, prefix=account.sid if account is not None else "")
        missing = sorted(key for key in completed.iterator(chunk_size=5000) if key not in stored)
        referenced = set(recordings.values_list("media_key", flat=True).iterator(chunk_size=5000))
        orphaned: list[str] | None = sorted(stored - referenced)
    else:
        missing = sorted(
            key for key in completed.iterator(chunk_size=1000) if not store.exists(key)
        )
        orphaned = None
    return {
        "account": account.sid if account is not None else None,
        "missing_media_count": len(missing),
        "missing_media_sample": missing[:limit],
        "orphans_checked": orphaned is not None,
        "orphaned_media_count": len(orphaned) if orphaned is not None else 0,
        "orphaned_media_sample": orphaned[:limit] if orphaned is not None else [],
    }
