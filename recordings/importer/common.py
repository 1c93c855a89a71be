"""What the importer's parts share: a unit of work, the refusal writers raise, and how they compare
and create rows that keep a source's SIDs."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from console.models import Account
from recordings.media.store import get_media_store


class ImportRefused(Exception):
    """The recording cannot be imported (or conflicts with what is here); ``reason`` says why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def comparable(value):
    """Return a value as sources render it, for comparing with what is stored."""
    # Sources render times to the second.
    return value.replace(microsecond=0) if isinstance(value, datetime) else value


def already_here(model, same: tuple[tuple[str, str], ...], *, account: Account, meta) -> bool:
    """Tell whether the recording ``meta`` describes is already here (True) or not at all
    (False); raise ImportRefused when its SID is here with different content (compared field by
    field, ``same`` pairing our fields with the source's): it is never overwritten."""
    found = model.objects.filter(sid=meta.sid).first()
    if found is None:
        return False
    if found.account_id != account.sid:
        raise ImportRefused(f"{meta.sid} exists in another account")
    differences = [
        ours
        for ours, theirs in same
        if comparable(getattr(found, ours)) != comparable(getattr(meta, theirs))
    ]
    if differences:
        raise ImportRefused(
            f"{meta.sid} exists here with different content ({', '.join(differences)})"
        )
    return True


def insert_with_media(recording, *, media: Path | None, key: str = "") -> int:
    """Insert a recording's row with its file stored under ``key`` (no file without ``media``);
    return the bytes stored. Call inside the writer's transaction.

    The file is stored first: a row that is not written takes its file with it. A process killed
    between the two leaves a file no row names, under the key the next run overwrites (and the
    drift check reports meanwhile).
    """
    if media is None:
        recording.save(force_insert=True)
        return 0
    store = get_media_store()
    with media.open("rb") as stream:
        recording.size = store.save(key, stream)
    recording.media_key = key
    try:
        recording.save(force_insert=True)
    except BaseException:
        store.delete(key)
        raise
    return recording.size


def ensure_row(model, sid: str, account: Account, **fields):
    """Return the account's row with this SID, creating it from ``fields`` if missing; raise
    ImportRefused when the SID belongs to another account."""
    row = model.objects.filter(sid=sid).first()
    if row is None:
        return model.objects.create(sid=sid, account=account, **fields)
    if row.account_id != account.sid:
        raise ImportRefused(f"{sid} exists in another account")
    return row


@dataclass
class Work:
    """One source recording to settle: its metadata, and how to fetch what it needs."""

    sid: str
    meta: object
    # Fetches the media (and anything else it needs) off the database thread; returns the
    # writer's keyword arguments. A path among them is a temporary file the run deletes once
    # written: never the user's own file.
    fetch: Callable[[], dict]
    write: Callable[..., int]
    verdict: Callable[..., bool]
