"""Run an import: walk the source's recordings, settle each one (imported, already here, or failed
with a reason) and keep the job's counts, so that a run that stops anywhere is continued by the
next one.

Media downloads run in a pool of threads; every database write happens in the calling thread, so
the database sees one writer whatever the concurrency. The recordings whose downloads have
finished are written together, up to WRITE_BATCH in one transaction (each in a savepoint of its
own, so that one refused spares the others) with their items and the job's counts: per-recording
transactions cost the writer more than a download on a fast source. A batch commits whole or not
at all; one rolled back removes the files it stored. A run killed mid-batch leaves files that no
row names at keys the next run needs (keys are the recordings' own): that run replaces them, under
a lock on the account's imports that every batch holds, so no live run can be about to name them
(``common.one_batch``); checksums or intent records would need more and prove less. At most
twice the concurrency downloads (WRITE_BATCH when more) are in flight or waiting, each streamed to
a temporary file. A run given a time budget waits a bounded time for them (see ``import_run``),
so a console import's slices fit their task's time limits.
"""

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import datetime, timedelta
from itertools import chain
from pathlib import Path
from typing import NamedTuple, TypedDict

from celery.exceptions import SoftTimeLimitExceeded
from cryptography.fernet import InvalidToken
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from console.models import Account
from console.sealing import seal, unseal
from console.services import Actor, audit_record
from recordings.imports.checks import reported_sid
from recordings.imports.common import UNSTORABLE, ImportRefused, Work, one_batch
from recordings.imports.models import ImportItem, ImportJob
from recordings.imports.source import (
    TWILIO_API,
    DownloadFailed,
    Source,
    describe_failure,
    stop_reason,
)
from recordings.imports.twilio import video_works, voice_works
from recordings.lifecycle.exceptions import ServiceError
from recordings.lifecycle.queue import enqueue

logger = logging.getLogger(__name__)

# Recordings written per transaction.
WRITE_BATCH = 32


def credentials_seal(auth_token: str) -> str:
    """Return an auth token encrypted for keeping while its job waits or runs."""
    return seal(auth_token, purpose="import-credentials")


def credentials_open(sealed: str) -> str:
    """Return the auth token a job keeps encrypted."""
    return unseal(sealed, purpose="import-credentials")


def import_job_for(
    *, account: Account, kind: str, source: str, source_account_sid: str = "", options: dict
) -> ImportJob:
    """Return the latest unfinished job of this very import to continue, or a new one."""
    job = (
        ImportJob.objects.filter(
            account=account,
            kind=kind,
            source=source,
            source_account_sid=source_account_sid,
            options=options,
        )
        .exclude(status=ImportJob.Status.DONE)
        .order_by("-date_created")
        .first()
    )
    return job or ImportJob.objects.create(
        account=account,
        kind=kind,
        source=source,
        source_account_sid=source_account_sid,
        options=options,
    )


def import_run(
    *,
    job: ImportJob,
    works: Iterator[Work],
    concurrency: int = 4,
    dry_run: bool = False,
    progress: Callable[[ImportJob], None] | None = None,
    seconds: float | None = None,
    download_seconds: float | None = None,
    retry_failed: bool = True,
) -> ImportJob:
    """Settle every recording ``works`` yields into the job's account; return the job, done.

    Given ``seconds``, stop taking new recordings once they have passed and return the job still
    ``running``: a later run of it goes on from there (what is settled is passed over). Fetches
    not yet started by then are left to that later run. Given ``download_seconds``, a recording
    whose fetch runs longer is counted as failed with that reason and no longer waited for, so a
    run ends at most ``download_seconds`` after ``seconds`` (plus the writes of what arrived).
    A run tries again what failed in an earlier one unless ``retry_failed`` is off (a slice of a
    job, going on where the last slice stopped, must not).

    A recording the job has already settled is passed over; one already in the account is counted
    as skipped (never fetched); one whose SID is here with different content, or whose media does
    not arrive whole, is counted as failed with its reason and nothing of it is written. With
    ``dry_run`` nothing is fetched or written: the counts say what a run would do.

    A task's soft time limit (SoftTimeLimitExceeded) ends the run as ``seconds`` would: what is
    settled stays, the job stays ``running`` and the rest is left to a later run.
    """
    settled = set()
    if job.pk:
        items = job.items.all()
        if retry_failed:
            items = items.exclude(result=ImportItem.Result.FAILED)
        settled = set(items.values_list("sid", flat=True))
    if not _start(job):
        return job
    report = progress or (lambda job: None)
    budget_end = None if seconds is None else time.monotonic() + seconds
    pool = ThreadPoolExecutor(max_workers=max(1, concurrency))
    flight = _InFlight(
        job,
        report,
        pool,
        # Room for a batch to gather while the writer is busy with the last one.
        cap=max(2 * max(1, concurrency), WRITE_BATCH),
        seconds=download_seconds,
        # A download may take longer than the watchdog waits for progress: the run says it is
        # alive meanwhile (a persisted job's only; a dry run's is shown, never watched).
        heartbeat=settings.JOB_STALL_SECONDS / 3 if job.pk and not dry_run else None,
    )
    works, taken = iter(works), 0
    try:
        # The clock is read before the next recording is asked for: asking may fetch a page.
        # Each run takes at least one recording: slices always move the job on.
        while True:
            if taken and _passed(budget_end):
                flight.left = True
                break
            work = next(works, None)
            if work is None:
                break
            if work.sid in settled:
                continue
            taken += 1
            if _settled_unfetched(job, work, dry_run=dry_run):
                report(job)
                continue
            flight.submit(work)
            while flight.full and not _passed(budget_end):
                flight.collect(until=budget_end)
        while flight.pending:
            if _passed(budget_end):
                flight.leave_unstarted()
            flight.collect(until=budget_end if not _passed(budget_end) else None)
    except SoftTimeLimitExceeded:
        flight.abandon()
        logger.warning("Import %s: the task's soft time limit ended its slice", job.pk)
        return job
    except BaseException as exc:
        flight.abandon()
        job.error = stop_reason(exc)[:255]
        _set_status(job, ImportJob.Status.FAILED)
        raise
    finally:
        # Abandoned fetches finish in their threads, which delete what they fetched.
        pool.shutdown(wait=False, cancel_futures=True)
    if not flight.left:
        _set_status(job, ImportJob.Status.DONE)
    return job


def _passed(moment: float | None) -> bool:
    return moment is not None and time.monotonic() > moment


class _Fetch:
    """One recording's fetch, run in a pool thread, that the run may stop waiting for."""

    def __init__(self, work: Work):
        self.work = work
        self.started: float | None = None
        self._lock = threading.Lock()
        self._finished = self._abandoned = False

    def __call__(self) -> dict:
        self.started = time.monotonic()
        fetched = self.work.fetch()
        with self._lock:
            if self._abandoned:
                _unlink(fetched)  # nobody will write it
            else:
                self._finished = True
        return fetched

    def abandon(self) -> bool:
        """Stop waiting for the fetch; tell whether it was stopped (False: it has just finished,
        its result is the caller's)."""
        with self._lock:
            self._abandoned = not self._finished
            return self._abandoned


class _InFlight:
    """A run's fetches not yet written: at most ``cap``, each waited for ``seconds`` at most once
    it has started (forever if None)."""

    def __init__(
        self,
        job: ImportJob,
        report: Callable[[ImportJob], None],
        pool: ThreadPoolExecutor,
        *,
        cap: int,
        seconds: float | None,
        heartbeat: float | None,
    ):
        self.job, self.report, self.pool = job, report, pool
        self.cap, self.seconds = cap, seconds
        self.heartbeat, self.last_beat = heartbeat, time.monotonic()
        self.pending: dict[Future, _Fetch] = {}
        self.left = False  # some recordings were left to a later run

    @property
    def full(self) -> bool:
        return len(self.pending) >= self.cap

    def submit(self, work: Work) -> None:
        fetch = _Fetch(work)
        self.pending[self.pool.submit(fetch)] = fetch

    def collect(self, *, until: float | None) -> None:
        """Write the recordings whose fetches have finished, and fail those that overran, waiting
        for one of them, or until ``until``, whichever comes first (and at most a heartbeat)."""
        now = time.monotonic()
        moments = [] if until is None else [until]
        if self.seconds is not None:
            moments += [f.started + self.seconds for f in self.pending.values() if f.started]
        if self.heartbeat is not None:
            moments.append(self.last_beat + self.heartbeat)
        timeout = max(0.0, min(moments) - now) if moments else None
        finished, _ = wait(list(self.pending), timeout=timeout, return_when=FIRST_COMPLETED)
        self._beat()
        done = list(finished)
        for start in range(0, len(done), WRITE_BATCH):
            self._write_batch(done[start : start + WRITE_BATCH])
        if self.seconds is None:
            return
        now = time.monotonic()
        for future, fetch in list(self.pending.items()):
            if fetch.started and now - fetch.started > self.seconds and fetch.abandon():
                del self.pending[future]
                reason = f"media download took longer than {self.seconds:g} s: given up"
                _settle(self.job, fetch.work.sid, ImportItem.Result.FAILED, reason)
                self.report(self.job)

    def _beat(self) -> None:
        """Tell the watchdog the run is alive while it waits for downloads (its writes tell it
        too, but a big file can take longer than JOB_STALL_SECONDS to arrive)."""
        now = time.monotonic()
        if self.heartbeat is None or now - self.last_beat < self.heartbeat:
            return
        self.last_beat = now
        ImportJob.objects.filter(pk=self.job.pk).update(date_updated=timezone.now())

    def leave_unstarted(self) -> None:
        """Leave the fetches that have not started to a later run."""
        for future in [f for f in self.pending if f.cancel()]:
            del self.pending[future]
            self.left = True

    def abandon(self) -> None:
        """Stop every fetch still pending, deleting what those already finished brought."""
        for future, fetch in self.pending.items():
            finished = not future.cancel() and not fetch.abandon()
            if finished and future.exception() is None:
                _unlink(future.result())
        self.pending.clear()

    def _write_batch(self, futures: list[Future]) -> None:
        """Write and settle these finished fetches in one transaction."""
        outcomes = []
        arrived = [(self.pending[f].work, f.result()) for f in futures if f.exception() is None]
        lookups = chain.from_iterable(w.lookups(meta=w.meta, **kwargs) for w, kwargs in arrived)
        with one_batch(self.job.account, lookups):
            for future in futures:
                work = self.pending.pop(future).work
                try:
                    fetched = future.result()
                except (DownloadFailed, ImportRefused) as exc:
                    outcomes.append(_Outcome(work.sid, ImportItem.Result.FAILED, exc.reason))
                # One recording's trouble (source, disk) never stops the run.
                except Exception as exc:
                    reason = describe_failure(exc)
                    outcomes.append(_Outcome(work.sid, ImportItem.Result.FAILED, reason))
                else:
                    outcomes.append(_write(self.job, work, fetched))
            _settle_many(self.job, outcomes)
        self.report(self.job)


def _unlink(fetched: dict) -> None:
    """Remove the temporary files a fetch brought."""
    for value in fetched.values():
        if isinstance(value, Path):
            value.unlink(missing_ok=True)


def _settled_unfetched(job: ImportJob, work: Work, *, dry_run: bool) -> bool:
    """Settle a recording that needs nothing fetched (already here, refused, or a dry run's);
    tell whether it was."""
    try:
        if work.verdict(account=job.account, meta=work.meta):
            _settle(job, work.sid, ImportItem.Result.SKIPPED_EXISTING, dry_run=dry_run)
            return True
    except ImportRefused as exc:
        _settle(job, work.sid, ImportItem.Result.FAILED, exc.reason, dry_run=dry_run)
        return True
    if dry_run:
        _settle(job, work.sid, ImportItem.Result.IMPORTED, dry_run=True)
        return True
    return False


class _Outcome(NamedTuple):
    """What became of one recording, to settle."""

    sid: str
    result: str
    reason: str = ""
    size: int = 0


def _write(job: ImportJob, work: Work, fetched: dict) -> _Outcome:
    """Write one recording (its rows in a savepoint of their own) and say what became of it."""
    try:
        stored = work.write(account=job.account, meta=work.meta, **fetched)
    except ImportRefused as exc:
        return _Outcome(work.sid, ImportItem.Result.FAILED, exc.reason)
    except IntegrityError:
        # Another import wrote one of its rows in the meantime; the next run compares them.
        return _Outcome(work.sid, ImportItem.Result.FAILED, UNSTORABLE)
    finally:
        _unlink(fetched)
    return _Outcome(work.sid, ImportItem.Result.IMPORTED, size=stored)


_COUNTERS: dict[str, str] = {
    ImportItem.Result.IMPORTED: "imported",
    ImportItem.Result.SKIPPED_EXISTING: "skipped_existing",
    ImportItem.Result.FAILED: "failed",
}
# Which result of a recording stands when two runs of one job settle it (a slice the watchdog
# took for lost, alive after all): what one run imported, another finds here or fails to store.
_RANK: dict[str, int] = {
    ImportItem.Result.FAILED: 0,
    ImportItem.Result.SKIPPED_EXISTING: 1,
    ImportItem.Result.IMPORTED: 2,
}


def _settle(
    job: ImportJob, sid: str, result: str, reason: str = "", *, size: int = 0, dry_run: bool = False
) -> None:
    """Record what became of one recording and count it (see ``_settle_many``)."""
    _settle_many(job, [_Outcome(sid, result, reason, size)], dry_run=dry_run)


def _settle_many(job: ImportJob, outcomes: list[_Outcome], *, dry_run: bool = False) -> None:
    """Record what became of these recordings and count them (in memory only for a dry run).

    A recording that failed in an earlier run of the job and is settled again moves from the
    failed count to its new one; every other is seen for the first time. One already settled
    for good by an overlapping run of the job keeps that result, counted once.
    """
    outcomes = [o._replace(sid=reported_sid(o.sid), reason=o.reason[:255]) for o in outcomes]
    counts: Counter[str] = Counter()
    # The items and the job's counts commit together, whenever the run is stopped.
    with transaction.atomic():
        items: dict[str, ImportItem] = {}
        if not dry_run:
            # The job's row lock serialises overlapping runs of it here: each reads what the
            # other settled before counting.
            ImportJob.objects.select_for_update().filter(pk=job.pk).values_list("pk").first()
            found = ImportItem.objects.filter(job=job, sid__in={o.sid for o in outcomes})
            items = {item.sid: item for item in found.only("pk", "sid", "result")}
        changed: dict[str, ImportItem] = {}
        for sid, result, reason, size in outcomes:
            item = items.get(sid)
            previous = item.result if item else None
            if previous not in (None, ImportItem.Result.FAILED) and (
                _RANK[result] <= _RANK[previous]
            ):
                continue
            item = items[sid] = item or ImportItem(job=job, sid=sid)
            item.result, item.reason, item.bytes = result, reason, size
            changed[sid] = item
            counts[_COUNTERS[result]] += 1
            counts["bytes"] += size
            if previous is None:
                counts["seen"] += 1
            else:
                counts[_COUNTERS[previous]] -= 1
        if not dry_run:
            ImportItem.objects.bulk_create([i for i in changed.values() if i.pk is None])
            again = [i for i in changed.values() if i.pk is not None]
            for item in again:
                item.date_updated = timezone.now()  # auto_now is not applied by bulk_update
            ImportItem.objects.bulk_update(again, ["result", "reason", "bytes", "date_updated"])
        _count(job, dry_run=dry_run, **counts)
    if dry_run:
        # A dry run keeps no items: its summary reads the failures from here.
        job.failures = [
            *getattr(job, "failures", []),
            *(
                {"sid": item.sid, "reason": item.reason}
                for item in changed.values()
                if item.result == ImportItem.Result.FAILED
            ),
        ]


def _count(job: ImportJob, *, dry_run: bool = False, **increments: int) -> None:
    for name, value in increments.items():
        setattr(job, name, getattr(job, name) + value)
    if not dry_run and job.pk:
        ImportJob.objects.filter(pk=job.pk).update(
            **{name: F(name) + value for name, value in increments.items()},
            date_updated=timezone.now(),
        )


def _start(job: ImportJob) -> bool:
    """Mark the job running; tell whether it may run (not if another run has just finished it)."""
    job.status = ImportJob.Status.RUNNING
    if not job.pk:
        return True
    started = (
        ImportJob.objects.filter(pk=job.pk)
        .exclude(status=ImportJob.Status.DONE)
        .update(status=job.status, error=job.error, date_updated=timezone.now())
    )
    if not started:
        job.refresh_from_db()
    return bool(started)


def _set_status(job: ImportJob, status: str) -> None:
    job.status = status
    fields = ["status", "date_updated", "error"]
    if status in (ImportJob.Status.DONE, ImportJob.Status.FAILED):
        job.date_finished = timezone.now()
        job.credentials = ""  # never kept once the job stops
        fields += ["date_finished", "credentials"]
    if job.pk:
        job.save(update_fields=fields)


def summary(job: ImportJob) -> dict[str, object]:
    """Return what a run did: counts, bytes, and every failure with its reason."""
    failures = (
        list(
            job.items.filter(result=ImportItem.Result.FAILED)
            .order_by("sid")
            .values("sid", "reason")
        )
        if job.pk
        else getattr(job, "failures", [])
    )
    return {
        "job": job.pk,
        "status": job.status,
        "seen": job.seen,
        "imported": job.imported,
        "skipped_existing": job.skipped_existing,
        "failed": failures,
        "bytes": job.bytes,
    }


# An unfinished job of the same source updated within this time refuses a second start; one quiet
# for longer is taken for stuck (its worker gone) and does not.
QUIET_AFTER = timedelta(minutes=10)


class ImportInProgress(ServiceError):
    """An import of this source into this account is still queued or running."""


def import_job_start(
    *,
    account: Account,
    actor: Actor,
    source_account_sid: str,
    auth_token: str,
    api_base_url: str | None = None,
    options: dict,
) -> ImportJob:
    """Queue an import into ``account`` (from the console): the auth token is kept encrypted
    until the job stops, then cleared. Audited.

    Raises ImportInProgress while another import of the same source is active: two runs of one
    source at once would race to write the same recordings (a double-click would start two).
    """
    source = (api_base_url or TWILIO_API).rstrip("/")
    running = (
        ImportJob.objects.filter(
            account=account,
            kind=ImportJob.Kind.TWILIO,
            source=source,
            source_account_sid=source_account_sid,
            status__in=(ImportJob.Status.QUEUED, ImportJob.Status.RUNNING),
            date_updated__gte=timezone.now() - QUIET_AFTER,
        )
        .order_by("-date_created")
        .first()
    )
    if running is not None:
        raise ImportInProgress(
            f"Import {running.pk} of this account from this source is still {running.status}: "
            "wait for it to stop (its page shows how far it is), then start another."
        )
    job = ImportJob.objects.create(
        account=account,
        kind=ImportJob.Kind.TWILIO,
        source=source,
        source_account_sid=source_account_sid,
        options=options,
        credentials=credentials_seal(auth_token),
        created_by=actor.user if getattr(actor.user, "pk", None) else None,
    )
    audit_record(
        account=account,
        actor=actor,
        action="recordings.import",
        object_repr=f"import {job.pk} of {source_account_sid} from {job.source}",
    )
    job_id = job.pk
    transaction.on_commit(lambda: _queue_slice(job_id), robust=True)
    return job


def import_job_execute(*, job_id: int, concurrency: int = 4) -> None:
    """Run a queued console import to its end (a task); a job already finished is left alone."""
    job = ImportJob.objects.select_related("account").filter(pk=job_id).first()
    if job is None or job.is_finished:
        return
    try:
        if not job.credentials:
            raise ValueError("its credentials are gone: start the import again")
        source = Source(
            job.source_account_sid,
            credentials_open(job.credentials),
            None if job.source == TWILIO_API else job.source,
        )
        window = _Window(
            since=_parse(job.options.get("since")),
            until=_parse(job.options.get("until")),
            include_deleted=bool(job.options.get("include_deleted")),
        )
    except (InvalidToken, ValueError) as exc:
        # Undecryptable (SECRET_KEY changed) or unreadable: the job cannot run, and says so.
        job.error = f"The import could not start: {exc or type(exc).__name__}"[:255]
        _set_status(job, ImportJob.Status.FAILED)
        return
    works = video_works(source, **window)
    if job.options.get("voice"):
        works = chain(works, voice_works(source, **window))
    # A slice of the import per task; the next task goes on. Taking new recordings for
    # IMPORT_TASK_SECONDS, then waiting at most IMPORT_DOWNLOAD_SECONDS for those in flight, ends
    # the slice inside the task's soft time limit (the settings refuse values that do not fit).
    job = import_run(
        job=job,
        works=works,
        concurrency=concurrency,
        seconds=settings.IMPORT_TASK_SECONDS,
        download_seconds=settings.IMPORT_DOWNLOAD_SECONDS,
        retry_failed=False,
    )
    if not job.is_finished:
        job_id = job.pk
        transaction.on_commit(lambda: _queue_slice(job_id), robust=True)


_ACTIVE = (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING)


def import_jobs_stalled(*, before: datetime, limit: int = 100) -> list[int]:
    """Return console imports (only they run as tasks, keeping their credentials meanwhile) still
    queued or running without progress since ``before``, oldest first."""
    return list(
        ImportJob.objects.filter(status__in=_ACTIVE, date_updated__lt=before)
        .exclude(credentials="")
        .order_by("date_updated", "id")
        .values_list("pk", flat=True)[:limit]
    )


@transaction.atomic
def import_job_restart(job_id: int, /, *, before: datetime) -> bool:
    """Queue a slice of a console import again, counting the restart, unless it has stopped or
    moved since ``before``; tell whether it did. The slice passes over every recording settled."""
    restarted = (
        ImportJob.objects.filter(pk=job_id, status__in=_ACTIVE, date_updated__lt=before)
        .exclude(credentials="")
        .update(restarts=F("restarts") + 1, date_updated=timezone.now())
    )
    if restarted:
        transaction.on_commit(lambda: _queue_slice(job_id), robust=True)
    return bool(restarted)


class _Window(TypedDict):
    """Which recordings of the source a job imports (the options of video_works, voice_works)."""

    since: datetime | None
    until: datetime | None
    include_deleted: bool


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _queue_slice(job_id: int) -> None:
    """Queue the next slice of an import under the time limits of the worker that runs it.

    Celery puts the sender's limits in the message, and they win over the worker's: the web
    process that queues the first slice would impose its own, not those the worker's settings
    checked its slice budget against.
    """
    enqueue("recordings.tasks.run_import", job_id, soft_time_limit=None, time_limit=None)
