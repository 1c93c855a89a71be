"""``python -m bench.bulk_sql [--rows N] [--window W] [--purge P] [--reps R] [--profile]``: the
bulk soft delete's chunks and the retention purge's batches in this process, against the raw SQL
of ``bench/cases/bulk.py`` and ``bench/cases/purge.py`` on sets of the same size, alternated in
one run (about 3 minutes at the defaults).

Without the Celery worker, gunicorn and the background client of ``make bench``, what is left is
the service's own cost per chunk beside the SQL it needs: the figure to cut first, on this noisy
machine. The job is created by ``bulk_deletion_create`` (its task goes to the broker, which no
worker reads: the broker's database is emptied after the run) and run chunk by chunk with
``bulk_deletion_run_chunk``. ``--profile`` prints a pyinstrument profile of one job and one purge.
Uses ``$BENCH_DATABASE_URL`` (**dropped and created**) and ``$BENCH_BROKER_URL`` (emptied).
"""

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path

from bench import data
from bench.run import environment


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.bulk_sql")
    parser.add_argument("--rows", type=int, default=200_000, help="table size (default 200k)")
    parser.add_argument("--window", type=int, default=20_000, help="rows per bulk deletion")
    parser.add_argument("--purge", type=int, default=25_000, help="expired rows per purge set")
    parser.add_argument("--reps", type=int, default=3, help="alternated repetitions")
    parser.add_argument("--profile", action="store_true", help="pyinstrument of one job, purge")
    return parser.parse_args(argv)


def profiler(enabled: bool):
    if not enabled:
        return nullcontext(None)
    from pyinstrument import Profiler

    return Profiler(interval=0.0005)


def app_job(account, query: str, profile: bool) -> tuple[int, float]:
    """Create a bulk deletion of ``query`` and run its chunks here; return (rows, seconds)."""
    from console.services import Actor
    from recordings.lifecycle.bulk import (
        bulk_deletion_create,
        bulk_deletion_run_chunk,
        bulk_selection,
    )
    from recordings.lifecycle.models import BulkDeletion

    typed = bulk_selection(account=account, query=query).count()
    job = bulk_deletion_create(
        account=account, actor=Actor(name="user:bench"), query=query, sids=None, typed_count=typed
    )
    with profiler(profile) as prof:
        started = time.perf_counter()
        while bulk_deletion_run_chunk(bulk_id=job.pk):
            pass
        elapsed = time.perf_counter() - started
    if prof is not None:
        print(prof.output_text(unicode=True, color=False, show_all=False), file=sys.stderr)
    job = BulkDeletion.objects.get(pk=job.pk)
    if job.done != job.total or job.failed:
        raise SystemExit(f"job {job.pk}: {job.done} of {job.total} deleted, {job.failed} failed")
    return job.done, elapsed


def app_purge(profile: bool) -> tuple[int, float]:
    from django.utils import timezone

    from recordings.lifecycle.retention import recordings_purge

    with profiler(profile) as prof:
        started = time.perf_counter()
        done = recordings_purge(now=timezone.now())
        elapsed = time.perf_counter() - started
    if prof is not None:
        print(prof.output_text(unicode=True, color=False, show_all=False), file=sys.stderr)
    return done, elapsed


def spread(rates: list[float]) -> str:
    return (
        f"median {statistics.median(rates):,.0f} rows/s "
        f"(min {min(rates):,.0f}, max {max(rates):,.0f}, n={len(rates)})"
    )


def report(name: str, app: list[float], raw: list[float]) -> None:
    ratios = [a / r for a, r in zip(app, raw, strict=True)]
    print(f"{name}: app {spread(app)}")
    print(f"{name}: raw {spread(raw)}")
    print(
        f"{name}: app/raw per pair {', '.join(f'{r:.2f}' for r in ratios)}; "
        f"median {statistics.median(ratios):.2f}"
    )


def alternate(rep: int, first: Callable[[], float], second: Callable[[], float]) -> list[float]:
    """Run the two in turn, the other first every other repetition; return their rates."""
    if rep % 2:
        b = second()
        return [first(), b]
    return [first(), second()]


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault(
        "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/roomvault_bulk_bench"
    )
    data_dir = Path(os.environ.get("DATA_DIR") or data.REPO / "var" / "bench-bulk").resolve()
    env = environment(data_dir)
    data.database_create(data.database_url())
    data.manage(env, "migrate", "--noinput")
    tenant = data.tenant_create(env)
    print(f"seeding {args.rows:,} rows: {data.seed(env, tenant, args.rows):.0f} s", file=sys.stderr)

    import django

    django.setup()
    from django.conf import settings

    from bench.cases import bulk, purge
    from console.celery import app as celery_app
    from console.models import Account

    account = Account.objects.get(sid=tenant.account_sid)
    job_rates, raw_rates = [], []
    for rep in range(args.reps):
        job_window, raw_window = bulk.windows(tenant.account_sid, args.window)

        def job(rep=rep, window=job_window) -> float:
            rows, seconds = app_job(account, bulk.selection_query(window), args.profile and not rep)
            return rows / seconds

        def raw(window=raw_window) -> float:
            rows, seconds = bulk.raw_update(tenant.account_sid, window, settings.BULK_DELETE_CHUNK)
            return rows / seconds

        a, r = alternate(rep, job, raw)
        job_rates.append(a)
        raw_rates.append(r)
        print(f"bulk rep {rep}: app {a:,.0f} raw {r:,.0f} rows/s", file=sys.stderr)

    purge_rates, raw_purge_rates = [], []
    for rep in range(args.reps):

        def app_set(rep=rep) -> float:
            data.seed(env, tenant, args.purge, expired=True)
            rows, seconds = app_purge(args.profile and not rep)
            if rows != args.purge:
                raise SystemExit(f"the purge removed {rows} rows, {args.purge} were expired")
            return rows / seconds

        def raw_set() -> float:
            data.seed(env, tenant, args.purge, expired=True)
            rows, seconds = purge.raw_delete(settings.PURGE_BATCH_SIZE)
            return rows / seconds

        a, r = alternate(rep, app_set, raw_set)
        purge_rates.append(a)
        raw_purge_rates.append(r)
        print(f"purge rep {rep}: app {a:,.0f} raw {r:,.0f} rows/s", file=sys.stderr)

    celery_app.connection().default_channel.client.flushdb()
    print(
        f"bulk soft delete, {args.window:,} rows a job, chunks of {settings.BULK_DELETE_CHUNK:,}; "
        f"purge, {args.purge:,} rows a set, batches of {settings.PURGE_BATCH_SIZE:,}; "
        f"table {args.rows:,} rows"
    )
    report("bulk", job_rates, raw_rates)
    report("purge", purge_rates, raw_purge_rates)
    return 0


if __name__ == "__main__":
    sys.exit(main())
