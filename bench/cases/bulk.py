"""Bulk soft-delete: a Logs selection of ~100k recordings deleted by the real Celery job, in rows/s,
against the same batched UPDATE sent straight through psycopg on another set of the same size;
and the List API's p99 while a job yielding to it runs, against its p99 just before.

A background client (its own process) requests the List API the whole time each job runs, just
before them (idle), and while the raw UPDATE runs, so that a job and its baseline share the
machine alike. The rows/s job runs unthrottled (a worker with ``BULK_DELETE_API_P99_MS=0``): what
the job's code costs against raw SQL. The p99 job runs on a worker started with
``BULK_DELETE_API_P99_MS`` at ``YIELD_AT`` times the p99 the web processes published at idle
(``console.latency``, server-side, what the job reads): what interactive traffic sees under the
setting an operator would choose from the same observation. Its rows/s, lower by design, is
reported beside. The three sets (the yielding job's half as large) are adjacent windows of the
account's completed recordings by creation date: the filter the console's "select all matching"
makes (``status`` + ``date_from`` and ``date_to``).
"""

import multiprocessing
import os
import time
from collections.abc import Iterator
from datetime import datetime
from urllib.parse import urlencode

from django.conf import settings

from bench.cases.list_api import api_path
from bench.context import Bench
from bench.errors import BenchError
from bench.report import Check, Row, ms, times
from bench.servers import WORKER_NICE, BackgroundLoad, celery_worker
from bench.sqlfloor import floor_connection

RATE_MIN = 20_000
# How long the background client runs for the idle figure.
IDLE_S = 4.0
RAW_MIN = 0.8
DURING_MAX = 2.0
# The yielding job's BULK_DELETE_API_P99_MS, over the idle p99 the web processes published.
YIELD_AT = 1.5
# How long to watch the media deletions the job queued drain after it is done (not a target).
MEDIA_WATCH_S = 10.0

_WINDOW_ROW = """
    SELECT date_created FROM recordings_recording
    WHERE account_id = %s AND status = 'completed'
    ORDER BY date_created DESC, sid DESC OFFSET %s LIMIT 1
"""


def windows(account_sid: str, sizes: list[int]) -> list[tuple[datetime, datetime]]:
    """Return adjacent [from, to) creation windows of completed recordings, newest first, one of
    each size in ``sizes``."""
    with floor_connection() as conn:

        def at(offset: int) -> datetime:
            row = conn.execute(_WINDOW_ROW, [account_sid, offset]).fetchone()
            if row is None:
                raise BenchError(f"fewer than {offset + 1} completed recordings to delete")
            return row[0]

        # Newest first: start a little in, so every window is ordinary (not the newest) rows.
        offset = sizes[0] // 10 + 1
        edges = [at(offset - 1)]
        for size in sizes:
            offset += size
            edges.append(at(offset - 1))
    return [(edges[i + 1], edges[i]) for i in range(len(sizes))]


def selection_query(window: tuple[datetime, datetime]) -> str:
    """Return the Logs filter of one window, as the console's bulk selection carries it."""
    after, before = window
    return urlencode(
        {"status": "completed", "date_from": after.isoformat(), "date_to": before.isoformat()}
    )


def run_job(bench: Bench, query: str) -> dict:
    """Create the job with the service (as the console's confirm step does) and wait for the
    worker to finish it; return its figures, from its own timestamps."""
    from console.services import Actor
    from recordings.lifecycle.bulk import bulk_deletion_create, bulk_selection
    from recordings.lifecycle.models import BulkDeletion

    # The number the console's confirm step has the user type (its count of the selection).
    typed = bulk_selection(account=bench.account, query=query).count()
    job = bulk_deletion_create(
        account=bench.account,
        actor=Actor(name="user:bench"),
        query=query,
        sids=None,
        typed_count=typed,
    )
    deadline = time.monotonic() + 900
    while not job.is_finished:
        if time.monotonic() > deadline:
            raise BenchError(f"bulk deletion {job.pk} not done after 15 minutes")
        time.sleep(0.2)
        job.refresh_from_db()
    if job.status != BulkDeletion.Status.DONE or job.failed or job.done != job.total:
        raise BenchError(
            f"bulk deletion {job.pk}: {job.status}, {job.done} of {job.total} deleted, "
            f"{job.failed} failed, error {job.error!r}"
        )
    seconds = (job.date_finished - job.date_created).total_seconds()
    return {
        "total": job.total,
        "chunks": job.chunks,
        "seconds": seconds,
        "paused_s": round(job.paused_seconds, 2),
        "id": job.pk,
    }


def media_drain(job_id: int, seconds: float) -> dict:
    """Watch the media deletions a job queued for ``seconds``; return how far they got."""
    from recordings.lifecycle.models import BulkDeletion
    from recordings.video.models import Recording

    job = BulkDeletion.objects.get(pk=job_id)

    def left() -> int:
        return (
            Recording.objects.filter(
                account_id=job.account_id, status="deleted", date_deleted__gte=job.date_created
            )
            .exclude(media_key="")
            .count()
        )

    before, started = left(), time.monotonic()
    after = before
    while after and time.monotonic() - started < seconds:
        time.sleep(1)
        after = left()
    elapsed = time.monotonic() - started
    return {
        "left_at_done": before,
        "left_after": after,
        "watched_s": round(elapsed, 1),
        "per_s": round((before - after) / elapsed, 1) if before else None,
    }


def raw_chunks(account_sid: str, window: tuple[datetime, datetime], chunk: int) -> Iterator[int]:
    """Soft-delete a window chunk by chunk as the job does (lock the next keyset chunk, UPDATE
    it, commit), straight through psycopg; yield each chunk's count of rows once committed."""
    after, before = window
    select = """
        SELECT sid, date_created, status, media_key FROM recordings_recording
        WHERE account_id = %(a)s AND status = 'completed'
          AND date_created >= %(after)s AND date_created < %(before)s {cursor}
        ORDER BY date_created DESC, sid DESC LIMIT %(limit)s FOR UPDATE
    """
    keyset = "AND date_created <= %(t)s AND (date_created < %(t)s OR sid < %(s)s)"
    update = """
        UPDATE recordings_recording SET status = 'deleted', date_deleted = %(now)s,
               date_updated = %(now)s
        WHERE account_id = %(a)s AND sid = ANY(%(sids)s) AND status IN ('completed', 'failed')
    """
    params = {"a": account_sid, "after": after, "before": before, "limit": chunk + 1}
    cursor = None
    with floor_connection() as conn:
        while True:
            with conn.transaction():
                sql = select.format(cursor=keyset if cursor else "")
                rows = conn.execute(sql, {**params, **(cursor or {})}).fetchall()[:chunk]
                if not rows:
                    return
                sids = [r[0] for r in rows]
                done = conn.execute(
                    update, {"a": account_sid, "sids": sids, "now": datetime.now().astimezone()}
                ).rowcount
                cursor = {"t": rows[-1][1], "s": rows[-1][0]}
            yield done
            if len(rows) < chunk:
                return


def raw_update(
    account_sid: str, window: tuple[datetime, datetime], chunk: int
) -> tuple[int, float]:
    """Soft-delete a window with ``raw_chunks``; return (rows, seconds)."""
    started = time.perf_counter()
    done = sum(raw_chunks(account_sid, window, chunk))
    return done, time.perf_counter() - started


def raw_update_as_worker(
    account_sid: str, window: tuple[datetime, datetime], chunk: int
) -> tuple[int, float]:
    """``raw_update`` from a process as nice as the Celery worker, so that the job and its
    baseline get the same share of the CPU beside the background client."""
    with multiprocessing.get_context("fork").Pool(
        1, initializer=os.nice, initargs=(WORKER_NICE,)
    ) as pool:
        return pool.apply(raw_update, (account_sid, window, chunk))


def run(bench: Bench, size: int) -> list[Row]:
    from console.latency import api_p99_ms

    effort = bench.effort
    # The yielding job's set is half as large: it runs longer, and the smoke's table is small.
    job_window, raw_window, yield_window = windows(
        bench.tenant.account_sid, [size, size, size // 2]
    )

    def load() -> BackgroundLoad:
        """One client on the List API, in a process of its own, beside the work measured."""
        authorization = bench.api_headers["Authorization"]
        return BackgroundLoad(bench.server, api_path(""), authorization, bench.logs / "load.json")

    def worker(limit_ms: float):
        env = {**bench.env, "BULK_DELETE_API_P99_MS": f"{limit_ms:.3f}"}
        return celery_worker(env, bench.logs / "celery.log")

    with worker(0):
        with load() as idle:
            time.sleep(IDLE_S if not effort.smoke else 1.0)
        # Read at once: each web process published within the last second of the idle load.
        published_idle = api_p99_ms()
        with load() as unthrottled:
            job = run_job(bench, selection_query(job_window))
        drain = media_drain(job["id"], MEDIA_WATCH_S if not effort.smoke else 30.0)
    if published_idle is None:
        raise BenchError("no web process published its API p99 (console.latency)")
    # The same background client here, so that the job and its baseline share the machine alike.
    with load() as beside_raw:
        raw_rows, raw_seconds = raw_update_as_worker(
            bench.tenant.account_sid, raw_window, settings.BULK_DELETE_CHUNK
        )
    if abs(raw_rows - job["total"]) > job["total"] * 0.05:
        raise BenchError(f"raw UPDATE deleted {raw_rows} rows, the job {job['total']}")
    limit_ms = YIELD_AT * published_idle
    with worker(limit_ms), load() as during:
        yielding = run_job(bench, selection_query(yield_window))
    rate, raw_rate = job["total"] / job["seconds"], raw_rows / raw_seconds
    yielding_rate = yielding["total"] / yielding["seconds"]
    idle_stats, during_stats = idle.stats, during.stats
    to_idle = during_stats.p99 / idle_stats.p99
    unthrottled_to_idle = unthrottled.stats.p99 / idle_stats.p99
    return [
        Row(
            group="bulk",
            case=f"Bulk soft-delete {job['total']:,} rows (Celery, {job['chunks']} chunks)",
            figure=f"{rate:,.0f} rows/s",
            baseline=f"raw UPDATE {raw_rate:,.0f} rows/s",
            ratio=times(rate / raw_rate),
            target=f"≥{RATE_MIN:,} rows/s; ≥{RAW_MIN:g}x raw",
            checks=[
                Check("rows/s", rate >= RATE_MIN),
                Check("raw ratio", rate / raw_rate >= RAW_MIN),
            ],
            data={
                "job": job,
                "raw": {"rows": raw_rows, "seconds": raw_seconds},
                "api_during_job": unthrottled.stats.as_dict(),
                "api_beside_raw": beside_raw.stats.as_dict(),
                "media_deletions": drain,
            },
        ),
        Row(
            group="bulk",
            case="Media deletions the job queued",
            figure=f"{drain['per_s']:,.0f} recordings/s" if drain["per_s"] else "all done",
            baseline=f"{drain['left_at_done']:,} left when the job was done",
            ratio=f"{drain['left_after']:,} left {drain['watched_s']:g} s later",
            data=drain,
        ),
        Row(
            group="bulk",
            case=(
                "List API p99 while a bulk job yields to it "
                f"(BULK_DELETE_API_P99_MS={limit_ms:.1f}, {YIELD_AT:g}x the published idle p99)"
            ),
            figure=f"p99 {ms(during_stats.p99)} (n={during_stats.n})",
            baseline=f"idle p99 {ms(idle_stats.p99)}",
            ratio=times(to_idle),
            target=f"≤{DURING_MAX:g}x idle",
            checks=[Check("p99 during", to_idle <= DURING_MAX)],
            data={
                "during": during_stats.as_dict(),
                "idle": idle_stats.as_dict(),
                "published_idle_p99_ms": round(published_idle, 3),
                "limit_ms": round(limit_ms, 3),
                "unthrottled_during": unthrottled.stats.as_dict(),
                "unthrottled_to_idle": round(unthrottled_to_idle, 2),
            },
        ),
        Row(
            group="bulk",
            case=f"Bulk soft-delete {yielding['total']:,} rows yielding to the API",
            figure=f"{yielding_rate:,.0f} rows/s, paused {yielding['paused_s']:g} s",
            baseline=f"unthrottled {rate:,.0f} rows/s",
            ratio=times(yielding_rate / rate),
            data={"job": yielding},
        ),
    ]
