"""Retention purge: expired deleted recordings hard-deleted by the app's purge, in rows/s, against
the same batched DELETE (same batch size) sent straight through psycopg on another expired set.

A batch's SELECT walks the purge index past every entry the batches before it deleted, so the
rate falls as the set grows (measured: 56 ms a batch at first, 250 ms after 400k rows, app and
raw SQL alike): rates are only comparable between sets of one size. The ratio is therefore taken
on two sets of ``compared`` rows (the app's purge and the raw DELETE), and the absolute rate on a
third set of ``purged`` rows (1M); a second 1M set for the raw DELETE would cost minutes of the
run's 15-minute budget in seeding alone.
"""

import time
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from bench.context import Bench
from bench.data import seed
from bench.errors import BenchError
from bench.report import Check, Row, times
from bench.sqlfloor import floor_connection

RATE_MIN = 20_000
RAW_MIN = 0.8


def raw_delete(batch: int) -> tuple[int, float]:
    """Delete every expired deleted recording in batches (lock the next batch, DELETE it,
    commit), straight through psycopg; return (rows, seconds)."""
    select = """
        SELECT sid FROM recordings_recording
        WHERE status = 'deleted' AND date_deleted <= %s AND media_key = ''
        ORDER BY date_deleted LIMIT %s FOR UPDATE SKIP LOCKED
    """
    cutoff = timezone.now() - timedelta(days=settings.RECORDING_RETENTION_DAYS)
    done = 0
    started = time.perf_counter()
    with floor_connection() as conn:
        while True:
            with conn.transaction():
                sids = [r[0] for r in conn.execute(select, [cutoff, batch]).fetchall()]
                if not sids:
                    break
                done += conn.execute(
                    "DELETE FROM recordings_recording WHERE sid = ANY(%s)", [sids]
                ).rowcount
    return done, time.perf_counter() - started


def app_purge(bench: Bench, rows: int) -> tuple[float, float]:
    """Seed ``rows`` expired recordings and purge them with the app; return (seed s, purge s)."""
    from recordings.lifecycle.retention import recordings_purge

    seeded = seed(bench.env, bench.tenant, rows, expired=True)
    started = time.perf_counter()
    done = recordings_purge(now=timezone.now())
    elapsed = time.perf_counter() - started
    if done != rows:
        raise BenchError(f"the purge removed {done} rows, {rows} were expired")
    return seeded, elapsed


def run(bench: Bench, *, purged: int, compared: int) -> tuple[list[Row], dict]:
    """Raw-delete one set of ``compared`` rows and purge another, then purge ``purged`` rows."""
    batch = settings.PURGE_BATCH_SIZE
    seconds = {"seed raw set": seed(bench.env, bench.tenant, compared, expired=True)}
    raw_rows, raw_seconds = raw_delete(batch)
    if raw_rows != compared:
        raise BenchError(f"raw DELETE removed {raw_rows} rows, {compared} were expired")
    seconds["seed compared set"], same_seconds = app_purge(bench, compared)
    seconds["seed purged set"], elapsed = app_purge(bench, purged)
    rate, same_rate, raw_rate = purged / elapsed, compared / same_seconds, raw_rows / raw_seconds
    rows = [
        Row(
            group="purge",
            case=f"Purge {purged:,} expired rows (batches of {batch:,})",
            figure=f"{rate:,.0f} rows/s",
            target=f"≥{RATE_MIN:,} rows/s",
            checks=[Check("rows/s", rate >= RATE_MIN)],
            data={"rows": purged, "seconds": elapsed},
        ),
        Row(
            group="purge",
            case=f"Purge {compared:,} expired rows, against raw SQL on as many",
            figure=f"{same_rate:,.0f} rows/s",
            baseline=f"raw DELETE {raw_rate:,.0f} rows/s",
            ratio=times(same_rate / raw_rate),
            target=f"≥{RAW_MIN:g}x raw",
            checks=[Check("raw ratio", same_rate / raw_rate >= RAW_MIN)],
            data={
                "app": {"rows": compared, "seconds": same_seconds},
                "raw": {"rows": raw_rows, "seconds": raw_seconds},
            },
        ),
    ]
    return rows, seconds
