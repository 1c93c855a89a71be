"""Store a file first, record it after: an upload never runs inside a database transaction.

A file may take minutes to store (up to 8 GiB); the row that records it is locked only for the
short transaction that writes its key. Keys are create-only, so a file is stored by one writer
at most; a writer whose transaction then refuses (the recording changed meanwhile) removes the
file it stored. A process killed between the two leaves a file no row names: the drift check
reports it (lifecycle.drift), and the store refuses to replace it.
"""

import logging
from collections.abc import Callable
from typing import BinaryIO, TypeVar

from recordings.media.store import MediaStore

logger = logging.getLogger(__name__)

T = TypeVar("T")


def save_then_record(
    store: MediaStore,
    key: str,
    stream: BinaryIO,
    *,
    account_sid: str,
    record: Callable[[int], T],
) -> T:
    """Save ``stream`` under ``key`` (create-only: MediaKeyTaken when taken), then return
    ``record(size)``, which writes the rows in its own short transaction; when it raises, remove
    the file and re-raise its error."""
    size = store.save(key, stream, account_sid=account_sid)
    try:
        return record(size)
    except BaseException:
        discard(store, key, account_sid=account_sid)
        raise


def discard(store: MediaStore, key: str, *, account_sid: str) -> None:
    """Remove a file no row will name; a failure is logged, not raised, so that the caller still
    answers with its own error (the drift check reports the file left behind)."""
    try:
        store.delete(key, account_sid=account_sid)
    except Exception as exc:
        logger.warning("Could not remove unrecorded media %s: %s", key, type(exc).__name__)
