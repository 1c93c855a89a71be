"""``python -m bench.run [--rows N | --big] [--smoke] [--out DIR]``: benchmark Roomvault against
PostgreSQL on loopback, print one table, write JSON, Markdown and a chart.

The run creates a fresh database (``$BENCH_DATABASE_URL``, default ``roomvault_bench`` on
127.0.0.1), grows the recordings table through 1k, 10k, 100k… up to ``--rows`` measuring the List
API at each size, then runs the other groups on the full table. ``--smoke`` uses tiny sizes and a
few requests and checks correctness only: it exits non-zero on any wrong answer, never on a slow
one. See bench/README.md.
"""

import argparse
import os
import sys
import time
import traceback
from contextlib import ExitStack
from pathlib import Path

from bench import data
from bench.errors import BenchError

REPO = data.REPO
BIG_ROWS = 10_000_000
SMOKE_SIZES = [1_000, 5_000]
BULK_ROWS = 100_000
PURGE_ROWS = 1_000_000
# The purge's comparison with raw SQL runs on two sets this much smaller than the purged one:
# a second full set would take minutes to seed (see bench/cases/purge.py).
PURGE_COMPARED_SHARE = 4
MEDIA_BYTES = 1024**3
SMOKE_MEDIA_BYTES = 16 * 1024**2


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="largest table (default 1M)")
    parser.add_argument("--big", action="store_true", help=f"grow to {BIG_ROWS:,} rows")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, correctness only")
    parser.add_argument("--out", type=Path, help="results folder (default bench/results)")
    args = parser.parse_args(argv)
    if args.big:
        args.rows = BIG_ROWS
    return args


def sizes_for(rows: int, smoke: bool) -> list[int]:
    """Return the table sizes to measure at: powers of ten from 1k below ``rows``, then ``rows``."""
    if smoke:
        return SMOKE_SIZES
    sizes, size = [], 1_000
    while size < rows:
        sizes.append(size)
        size *= 10
    return [*sizes, rows]


def environment(data_dir: Path) -> dict[str, str]:
    """Set (here and for every child process) what the bench runs the app with."""
    os.environ.update(
        DATA_DIR=str(data_dir),
        DJANGO_SETTINGS_MODULE="bench.settings",
        DATABASE_URL=data.database_url(),
        CELERY_BROKER_URL=os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/15"),
        CELERY_TASK_ALWAYS_EAGER="false",
        LOG_LEVEL="WARNING",
        DEBUG="false",
        # A server database needs one key shared by every process (console/settings.py).
        SECRET_KEY=os.environ.get("SECRET_KEY") or "bench-only-not-a-production-key",
    )
    return dict(os.environ)


class Clock:
    """Progress lines on stderr, with the time since the run started."""

    def __init__(self):
        self.started = time.monotonic()

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.started

    def say(self, message: str) -> None:
        print(f"[{self.seconds:6.0f}s] {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    data_dir = Path(os.environ.get("DATA_DIR") or REPO / "var" / "bench").resolve()
    env = environment(data_dir)
    clock = Clock()
    sizes = sizes_for(args.rows, args.smoke)
    final = sizes[-1]
    label = "smoke" if args.smoke else _label(final)
    out = args.out or (data_dir / "bench-smoke" if args.smoke else REPO / "bench" / "results")
    clock.say(f"{label}: sizes {', '.join(_label(s) for s in sizes)}; database {_db_name()}")

    data.database_create(data.database_url())
    data.manage(env, "migrate", "--noinput")
    import django

    django.setup()
    from bench import servers
    from bench.context import Bench, Effort

    logs = data_dir / "bench-logs"
    logs.mkdir(parents=True, exist_ok=True)
    tenant = data.tenant_create(env)
    effort = Effort.smoke_run() if args.smoke else Effort()
    errors: list[str] = []
    rows, series, timings = [], {}, {}
    with ExitStack() as stack:
        gunicorn, server = servers.gunicorn_start(env, logs / "gunicorn.log")
        stack.callback(servers.stop, gunicorn)
        bench = Bench(server, tenant, env, effort, logs, gunicorn.pid)
        clock.say(f"gunicorn ({servers.GUNICORN_WORKERS} sync workers) on {server.base_url}")

        def group(name: str, action):
            """Run one group of cases; a wrong answer (or a crash) is recorded, the run goes on."""
            started = time.monotonic()
            clock.say(f"{name}…")
            try:
                result = action()
            except BenchError as exc:
                errors.append(f"{name}: {exc}")
                clock.say(f"{name}: FAILED: {exc}")
                result = None
            except Exception:
                errors.append(f"{name}: crashed:\n{traceback.format_exc()}")
                clock.say(f"{name}: CRASHED:\n{traceback.format_exc()}")
                result = None
            timings[name] = round(time.monotonic() - started, 1)
            return result

        rows += run_sizes(bench, sizes, group, series, timings, clock) or []
        rows += group("depth", lambda: _cases("depth").run(bench)) or []
        rows += group("throughput", lambda: _cases("throughput").run(bench)) or []
        media_size = SMOKE_MEDIA_BYTES if args.smoke else MEDIA_BYTES
        rows += group("media", lambda: _cases("media").run(bench, size=media_size)) or []
        bulk_size = min(BULK_ROWS, final // 10) if not args.smoke else 1_500
        rows += group("bulk", lambda: _cases("bulk").run(bench, bulk_size)) or []
        purged = min(PURGE_ROWS, final) if not args.smoke else 2_000
        compared = purged // PURGE_COMPARED_SHARE
        rows += group("purge", lambda: run_purge(bench, purged, compared, timings)) or []

    total = clock.seconds
    meta = summary(label, sizes, total, timings, errors, args.smoke)
    meta["notes"] = _notes(effort, compared, purged)
    from bench import report

    paths = report.write(out, label, rows, meta, series)
    print(meta["summary"])
    print(report.text_table(rows))
    for note in meta["notes"]:
        print(f"- {note}")
    print("Written: " + ", ".join(str(p) for p in paths))
    if errors:
        print(f"\n{len(errors)} correctness failure(s):", file=sys.stderr)
        for error in errors:
            print(f"- {error}", file=sys.stderr)
        return 1
    return 0


def run_sizes(bench, sizes, group, series, timings, clock) -> list:
    """Grow the table through ``sizes``; measure the list and console cases at each.

    The headline sizes (1M and up, else the largest) and the one the scaling row compares with
    take the full effort; the others only draw the chart, with fewer requests.
    """
    import dataclasses

    from bench.cases import console, list_api

    cookie = group("console sign-in", lambda: console.sign_in(bench))
    console.make_staff(bench.tenant.email)
    headline = [s for s in sizes if s >= 1_000_000] or sizes[-1:]
    smaller = comparison_size(sizes)
    rows, loaded = [], 0
    for size in sizes:
        seconds = data.seed(bench.env, bench.tenant, size - loaded, growth=True)
        timings[f"seed {_label(size)}"] = round(seconds, 1)
        loaded = size
        clock.say(f"table at {_label(size)} rows (seeded in {seconds:.0f} s)")
        at = bench
        if size not in headline and size != smaller:
            at = dataclasses.replace(bench, effort=bench.effort.chart_point())
        filters = data.list_filters(bench.tenant.account_sid)
        by_filter = group(f"list {_label(size)}", lambda f=filters, b=at: list_api.measure(b, f))
        if by_filter:
            for name, case in by_filter.items():
                series.setdefault(name, {})[str(size)] = case
            if size in headline:
                rows += list_api.rows_for(by_filter, size)
        if cookie:
            page_rows = group(
                f"console {_label(size)}",
                lambda s=size, b=at: console.run(b, s, cookie=cookie),
            )
            if page_rows and size in headline:
                rows += page_rows
    if smaller and all(len(by_size) == len(sizes) for by_size in series.values()):
        rows += list_api.scaling_rows(series, sizes[-1], smaller)
    return rows


def comparison_size(sizes: list[int]) -> int | None:
    """Return the size the largest is compared with: a tenth of it, else the one before."""
    if len(sizes) < 2:
        return None
    return sizes[-1] // 10 if sizes[-1] // 10 in sizes else sizes[-2]


def run_purge(bench, purged: int, compared: int, timings: dict) -> list:
    from bench.cases import purge

    rows, seconds = purge.run(bench, purged=purged, compared=compared)
    timings.update({name: round(value, 1) for name, value in seconds.items()})
    return rows


def _cases(name: str):
    import importlib

    return importlib.import_module(f"bench.cases.{name}")


def _label(rows: int) -> str:
    from bench.report import label_for

    return label_for(rows)


def _db_name() -> str:
    return data.database_url().rsplit("/", 1)[-1]


def _notes(effort, compared: int, purged: int) -> list[str]:
    notes = [
        "One client for latency cases, a new connection per request (gunicorn's sync workers "
        f"close them); p50/p99 of {effort.requests} timed requests after {effort.warmup} untimed "
        "(a third as many for the console and admin pages; the admin stops after 10 s; 100 "
        "requests at the sizes that only draw the chart).",
        "SQL floor: the statements the endpoint ran for the same request (captured in-process), "
        "run in order through psycopg with Django's cursor settings.",
        "Tables get VACUUM (ANALYZE) and a CHECKPOINT after each load: this PostgreSQL runs with "
        "autovacuum off.",
    ]
    notes.append(
        f"Purge: rows/s on {purged:,} expired rows; the ratio to raw SQL on two other sets of "
        f"{compared:,} (a batch slows as deleted entries pile up in the index, so only sets of "
        "one size compare; a second full set would cost minutes of seeding)."
    )
    if effort.smoke:
        notes.insert(0, "SMOKE RUN: tiny sizes, few requests; timings and verdicts mean nothing.")
    return notes


def summary(label, sizes, total, timings, errors, smoke) -> dict:
    import platform

    import psycopg

    with psycopg.connect(data.libpq_url(data.database_url())) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0].split()[0]
    text = (
        f"Roomvault bench {label}: table grown to {sizes[-1]:,} rows "
        f"({', '.join(_label(s) for s in sizes)}); PostgreSQL {version} on loopback; "
        f"{os.cpu_count()} CPUs; gunicorn 2 sync workers; total {total / 60:.1f} min"
        + (f"; {len(errors)} correctness failure(s)" if errors else "")
    )
    return {
        "label": label,
        "smoke": smoke,
        "sizes": sizes,
        "summary": text,
        "summary_short": f"{label}, {os.cpu_count()} CPUs, PostgreSQL {version}",
        "seconds": round(total, 1),
        "timings": timings,
        "errors": errors,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "pg": version},
    }


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:  # set-up failed (database, commands, server): nothing to report
        print(f"bench: {exc}", file=sys.stderr)
        sys.exit(2)
