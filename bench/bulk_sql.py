"""``python -m bench.bulk_sql [--rows N] [--window W] [--purge P] [--reps R] [--holds H]
[--profile]``: the bulk soft delete's chunks and the retention purge's batches in this process,
against the raw SQL of ``bench/cases/bulk.py`` and ``bench/cases/purge.py`` on sets of the same
size, in one run: a job's chunks alternate with the raw SQL's one by one, purge sets with raw ones
(about 5 minutes at the defaults). Each is measured twice per repetition: as it is, and with ``H``
active legal holds in the account (on participant identities no recording has, so that they
cover nothing and only their cost shows: every chunk and purge batch asks them).

Without the Celery worker, gunicorn and the background client of ``make bench``, what is left is
the service's own cost per chunk beside the SQL it needs: the figure to cut first, on this noisy
machine. The job is created by ``bulk_deletion_create`` (its task goes to the broker, which no
worker reads: the broker's database is emptied after the run) and run chunk by chunk with
``bulk_deletion_run_chunk``. ``--profile`` prints a pyinstrument profile of the first job (then left
out of the figures) and of the first purge.
Uses ``$BENCH_DATABASE_URL`` (**dropped and created**) and ``$BENCH_BROKER_URL`` (emptied).
"""

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

from bench import data
from bench.run import environment


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.bulk_sql")
    parser.add_argument("--rows", type=int, default=200_000, help="table size (default 200k)")
    parser.add_argument("--window", type=int, default=20_000, help="rows per bulk deletion")
    parser.add_argument("--purge", type=int, default=25_000, help="expired rows per purge set")
    parser.add_argument("--reps", type=int, default=3, help="alternated repetitions")
    parser.add_argument("--holds", type=int, default=10, help="active legal holds, second pass")
    parser.add_argument("--profile", action="store_true", help="pyinstrument of one job, purge")
    return parser.parse_args(argv)


def profiler(enabled: bool):
    if not enabled:
        return nullcontext(None)
    from pyinstrument import Profiler

    return Profiler(interval=0.0005)


def job_create(account, query: str) -> int:
    """Create a bulk deletion of ``query`` as the console's confirm step does; return its id."""
    from console.services import Actor
    from recordings.lifecycle.bulk import bulk_deletion_create, bulk_selection

    typed = bulk_selection(account=account, query=query).count()
    job = bulk_deletion_create(
        account=account, actor=Actor(name="user:bench"), query=query, sids=None, typed_count=typed
    )
    return job.pk


def job_check(job_id: int) -> int:
    from recordings.lifecycle.models import BulkDeletion

    job = BulkDeletion.objects.get(pk=job_id)
    if job.done != job.total or job.failed or not job.is_finished:
        raise SystemExit(f"job {job.pk}: {job.done} of {job.total} deleted, {job.failed} failed")
    return job.done


def job_profile(account, query: str) -> None:
    """Print a pyinstrument profile of one whole job, run here chunk after chunk."""
    from recordings.lifecycle.bulk import bulk_deletion_run_chunk

    job_id = job_create(account, query)
    with profiler(True) as prof:
        while bulk_deletion_run_chunk(bulk_id=job_id):
            pass
    print(prof.output_text(unicode=True, color=False, show_all=False), file=sys.stderr)
    job_check(job_id)


@contextmanager
def holds_placed(account, count: int) -> Iterator[None]:
    """Keep ``count`` legal holds active in the account for the block's length."""
    from console.services import SYSTEM
    from recordings.lifecycle import holds

    placed = [
        holds.legal_hold_create(
            account=account, actor=SYSTEM, name=f"bench {n}", scope="participant", value=f"h{n}"
        )
        for n in range(count)
    ]
    try:
        yield
    finally:
        for hold in placed:
            holds.legal_hold_release(account=account, actor=SYSTEM, hold=hold)


def jobs_beside_raw(account, job_query: str, raw_chunks: Iterator[int]) -> tuple[float, float]:
    """Run a job's chunks and the raw SQL's in turn, one chunk each, so that both see the same
    moments of this machine's load; return (job rows/s, raw rows/s)."""
    from recordings.lifecycle.bulk import bulk_deletion_run_chunk

    job_id = job_create(account, job_query)
    seconds = {"job": 0.0, "raw": 0.0}
    raw_rows, job_more, raw_more = 0, True, True
    while job_more or raw_more:
        if job_more:
            started = time.perf_counter()
            job_more = bulk_deletion_run_chunk(bulk_id=job_id)
            seconds["job"] += time.perf_counter() - started
        if raw_more:
            started = time.perf_counter()
            rows = next(raw_chunks, None)
            seconds["raw"] += time.perf_counter() - started
            raw_more = rows is not None
            raw_rows += rows or 0
    return job_check(job_id) / seconds["job"], raw_rows / seconds["raw"]


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
    rates: dict[str, list[float]] = {}

    def pair(name: str, app: float, raw: float) -> None:
        rates.setdefault(f"{name} app", []).append(app)
        rates.setdefault(f"{name} raw", []).append(raw)
        print(f"{name}: app {app:,.0f} raw {raw:,.0f} rows/s", file=sys.stderr)

    held = f"{args.holds} holds"
    for rep in range(args.reps):
        job, raw, held_job, held_raw = bulk.windows(tenant.account_sid, [args.window] * 4)
        if args.profile and not rep:
            job_profile(account, bulk.selection_query(job))
            continue
        for name, job_window, raw_window, count in (
            ("bulk", job, raw, 0),
            (f"bulk, {held}", held_job, held_raw, args.holds),
        ):
            chunks = bulk.raw_chunks(tenant.account_sid, raw_window, settings.BULK_DELETE_CHUNK)
            with holds_placed(account, count):
                pair(name, *jobs_beside_raw(account, bulk.selection_query(job_window), chunks))

    for rep in range(args.reps):
        for name, count in (("purge", 0), (f"purge, {held}", args.holds)):

            def app_set(rep=rep, count=count) -> float:
                data.seed(env, tenant, args.purge, expired=True)
                with holds_placed(account, count):
                    rows, seconds = app_purge(args.profile and not rep)
                if rows != args.purge:
                    raise SystemExit(f"the purge removed {rows} rows, {args.purge} were expired")
                return rows / seconds

            def raw_set() -> float:
                data.seed(env, tenant, args.purge, expired=True)
                rows, seconds = purge.raw_delete(settings.PURGE_BATCH_SIZE)
                return rows / seconds

            pair(name, *alternate(rep, app_set, raw_set))

    celery_app.connection().default_channel.client.flushdb()
    print(
        f"bulk soft delete, {args.window:,} rows a job, chunks of {settings.BULK_DELETE_CHUNK:,}; "
        f"purge, {args.purge:,} rows a set, batches of {settings.PURGE_BATCH_SIZE:,}; "
        f"table {args.rows:,} rows"
    )
    for name in ("bulk", f"bulk, {held}", "purge", f"purge, {held}"):
        report(name, rates[f"{name} app"], rates[f"{name} raw"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
