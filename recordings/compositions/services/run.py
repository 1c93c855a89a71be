"""A composition worker's job: claim a composition, render it, store the file, record it.

At most one worker makes a composition at a time: a worker claims it (``processing``, one more
attempt) under the row's lock, and its progress updates keep the claim fresh. A worker lost
mid-way (killed, its machine gone) leaves a claim that goes stale; the next run (the redelivered
task, or the watchdog's) claims it again and starts over from the beginning, in a new file: what
the lost worker wrote is never recorded, since only the attempt that holds the claim may record.
"""

import logging
import tempfile
import time
from datetime import datetime, timedelta
from enum import Enum
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from recordings.compositions import selectors
from recordings.compositions.callbacks import callback_enqueue, hook_failed_enqueue
from recordings.compositions.choices import CompositionStatus
from recordings.compositions.exceptions import NotComposable
from recordings.compositions.making import render_room
from recordings.compositions.models import Composition, CompositionHook, CompositionSettings
from recordings.compositions.spec import spec_of
from recordings.lifecycle.queue import enqueue
from recordings.media.encryption import encrypt_stream
from recordings.media.external import destination
from recordings.media.keys import media_key
from recordings.media.store import MediaStoreUnavailable
from recordings.media.uploads import save_then_record
from recordings.video.choices import RecordingStatus
from recordings.video.models import PublicKey, Recording

logger = logging.getLogger(__name__)

PROGRESS_STEP = 10  # composition-progress callbacks every this many percent


class Outcome(Enum):
    DONE = "done"  # made, failed, or nothing left to do
    WAIT = "wait"  # the room's recordings are still arriving: run again later
    BUSY = "busy"  # another worker holds a fresh claim on it


class Superseded(Exception):
    """This attempt no longer holds the composition (deleted, or claimed by a newer run)."""


def composition_run(*, sid: str) -> Outcome:
    """Make a composition, start to finish, if it is this run's to make."""
    claim = _claim(sid)
    if not isinstance(claim, Composition):
        return claim
    composition, attempt = claim, claim.attempts
    try:
        with tempfile.TemporaryDirectory(prefix="composition-") as tmp:
            out = Path(tmp) / f"{composition.sid}.{composition.format}"
            rendered = render_room(
                composition.room,
                spec_of(composition),
                out,
                progress=_Progress(composition, attempt),
            )
            _store(composition, attempt, out, rendered.duration)
    except Superseded:
        pass
    except NotComposable as exc:
        _fail(composition, attempt, exc.message)
    except MediaStoreUnavailable:
        _release(composition, attempt)  # the task tries again later
        raise
    except Exception:
        logger.exception("Composition %s failed", composition.sid)
        _fail(composition, attempt, "The media could not be composed")
    return Outcome.DONE


def _stale_before() -> datetime:
    return timezone.now() - timedelta(seconds=settings.JOB_STALL_SECONDS)


@transaction.atomic
def _claim(sid: str) -> Composition | Outcome:
    composition = (
        Composition.objects.select_for_update().select_related("room").filter(pk=sid).first()
    )
    if composition is None or composition.status not in (
        CompositionStatus.ENQUEUED,
        CompositionStatus.PROCESSING,
    ):
        return Outcome.DONE
    if (
        composition.status == CompositionStatus.PROCESSING
        and composition.date_updated > _stale_before()
    ):
        return Outcome.BUSY
    if _media_pending(composition):
        # Touched, so that the watchdog leaves it to the task that polls it.
        composition.date_updated = timezone.now()
        composition.save(update_fields=["date_updated"])
        return Outcome.WAIT
    composition.status = CompositionStatus.PROCESSING
    composition.attempts += 1
    composition.progress = 0
    composition.date_updated = timezone.now()
    composition.save(update_fields=["status", "attempts", "progress", "date_updated"])
    callback_enqueue(composition=composition, event="composition-started")
    return composition


def _media_pending(composition: Composition) -> bool:
    """Tell whether some recording of the room still awaits its media, and may still get it."""
    room = composition.room
    waited = timezone.now() - (room.end_time or room.date_updated)
    if waited > timedelta(seconds=settings.COMPOSITION_MEDIA_WAIT_SECONDS):
        return False  # compose what arrived: a media server that never uploads blocks nobody
    return Recording.objects.filter(
        account_id=composition.account_id, room=room, status=RecordingStatus.PROCESSING
    ).exists()


class _Progress:
    """The renderer's progress: kept on the row (refreshing the claim), called back every
    PROGRESS_STEP percent with an estimate of the time left."""

    def __init__(self, composition: Composition, attempt: int):
        self.composition = composition
        self.attempt = attempt
        self.started = time.monotonic()
        self.reported = 0

    def __call__(self, percent: int) -> None:
        updated = Composition.objects.filter(
            pk=self.composition.pk, status=CompositionStatus.PROCESSING, attempts=self.attempt
        ).update(progress=percent, date_updated=timezone.now())
        if not updated:
            raise Superseded(self.composition.sid)
        if percent >= self.reported + PROGRESS_STEP and percent < 100:
            self.reported = percent - percent % PROGRESS_STEP
            elapsed = time.monotonic() - self.started
            remaining = round(elapsed * (100 - percent) / max(percent, 1))
            with transaction.atomic():
                callback_enqueue(
                    composition=self.composition,
                    event="composition-progress",
                    params={"PercentageDone": str(percent), "SecondsRemaining": str(remaining)},
                )


def _store(composition: Composition, attempt: int, path: Path, duration: float) -> None:
    """Store the file (encrypted first, where the settings ask), then record it."""
    options = CompositionSettings.objects.filter(account_id=composition.account_id).first()
    # One key per attempt: a lost attempt may have stored its file, and keys are create-only.
    key = media_key(
        composition.account_id, "compositions", f"{composition.sid}-{attempt}.{composition.format}"
    )
    store, key, external_location = destination(options, key)
    encryption_key = None
    with path.open("rb") as media:
        stream: BinaryIO = media
        if options is not None and options.encryption_enabled and options.encryption_key_sid:
            public_key = PublicKey.objects.get(
                account_id=composition.account_id, sid=options.encryption_key_sid
            )
            stream = encrypt_stream(
                media, public_key_pem=public_key.public_key, key_sid=public_key.sid
            )
            encryption_key = public_key.sid
        save_then_record(
            store,
            key,
            stream,
            account_sid=composition.account_id,
            record=lambda size: _complete(
                composition.pk,
                attempt,
                key=key,
                size=size,
                media_size=path.stat().st_size,
                duration=duration,
                external_location=external_location,
                encryption_key=encryption_key,
            ),
        )


@transaction.atomic
def _complete(
    pk: str,
    attempt: int,
    *,
    key: str,
    size: int,
    media_size: int,
    duration: float,
    external_location: str | None,
    encryption_key: str | None,
) -> None:
    composition = _held(pk, attempt)
    now = timezone.now()
    composition.status = CompositionStatus.COMPLETED
    composition.progress = 100
    composition.media_key = key
    composition.size = size
    composition.duration = round(duration)
    composition.bitrate = round(media_size * 8 / duration) if duration else 0
    composition.media_external_location = external_location
    composition.encryption_key = encryption_key
    composition.date_completed = composition.date_updated = now
    composition.save()
    callback_enqueue(
        composition=composition,
        event="composition-available",
        params={
            "MediaUri": f"/v1/Compositions/{composition.sid}/Media",
            "Size": str(size),
            "Duration": str(composition.duration),
        },
    )


def _held(pk: str, attempt: int) -> Composition:
    """Return the composition locked, if this attempt still holds it; else raise Superseded."""
    composition = Composition.objects.select_for_update().filter(pk=pk).first()
    if (
        composition is None
        or composition.status != CompositionStatus.PROCESSING
        or composition.attempts != attempt
    ):
        raise Superseded(pk)
    return composition


@transaction.atomic
def _fail(composition: Composition, attempt: int, reason: str) -> None:
    try:
        held = _held(composition.pk, attempt)
    except Superseded:
        return
    now = timezone.now()
    held.status = CompositionStatus.FAILED
    held.error_message = reason[:255]
    held.date_completed = held.date_updated = now
    held.save(update_fields=["status", "error_message", "date_completed", "date_updated"])
    callback_enqueue(
        composition=held,
        event="composition-failed",
        params={"FailedOperation": "composition", "ErrorMessage": held.error_message},
    )
    hook = CompositionHook.objects.filter(pk=held.hook_sid).first() if held.hook_sid else None
    if hook is not None:
        hook_failed_enqueue(hook=hook, room_sid=held.room_id, reason=held.error_message)


@transaction.atomic
def _release(composition: Composition, attempt: int) -> None:
    """Give a claim back: queued again, for the task's retry."""
    try:
        held = _held(composition.pk, attempt)
    except Superseded:
        return
    held.status = CompositionStatus.ENQUEUED
    held.save(update_fields=["status", "date_updated"])


@transaction.atomic
def composition_restart(sid: str, /, *, before: datetime) -> bool:
    """Queue a composition again, counting the restart, if it is still enqueued or processing and
    quiet since ``before``; tell whether it did.

    A stale claim is given back (``enqueued``), so the next run claims it afresh, and the lost
    worker, should it be alive after all, finds itself superseded at its next progress.
    """
    restarted = Composition.objects.filter(
        pk=sid, status__in=selectors.IN_FLIGHT, date_updated__lt=before
    ).update(
        status=CompositionStatus.ENQUEUED, restarts=F("restarts") + 1, date_updated=timezone.now()
    )
    if restarted:
        transaction.on_commit(lambda: enqueue("compositions.compose", sid), robust=True)
    return bool(restarted)
