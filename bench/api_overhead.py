"""The fixed cost of one API request, in process: no server, no sockets, so what is left is the
Python a request runs through (middleware, authentication, parameters, ORM, rendering) plus its
queries on loopback.

``.venv/bin/python -m bench.api_overhead [--rows 5000] [--repeat 7] [--requests 200] [--profile]
[--reuse]``

Creates ``$BENCH_DATABASE_URL`` (default ``roomvault_api_bench``, **dropped**), seeds ``--rows``
recordings through the app's commands, then times ``/v1/Recordings?PageSize=50``, the naive DRF
view of the same rows (``bench/views.py``), ``/v1/Recordings/{Sid}/Media`` and the trivial view
through Django's test ``Client``, one round of each in turn, ``--repeat`` rounds: the medians of
the rounds and their spread are printed, wall time and this process's CPU time (the database's
is not in it). ``--profile`` writes a pyinstrument profile of each
endpoint instead (``$DATA_DIR/api-overhead-<case>.txt``).
"""

import argparse
import base64
import dataclasses
import json
import os
import statistics
import sys
import time
from pathlib import Path

from bench import data

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/roomvault_api_bench"


def prepare(rows: int, reuse: bool) -> data.Tenant:
    """Create the database, the tenant and ``rows`` recordings with the app's commands, or with
    ``reuse`` take the last run's (to time two checkouts of the code against the same rows)."""
    os.environ.setdefault("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DATABASE_URL=data.database_url(),
        SECRET_KEY=os.environ.get("SECRET_KEY") or "bench-only-not-a-production-key",
        DATA_DIR=os.environ.get("DATA_DIR") or str(data.REPO / "var" / "api-overhead"),
        CELERY_TASK_ALWAYS_EAGER="1",
    )
    saved = Path(os.environ["DATA_DIR"]) / "api-overhead-tenant.json"
    if reuse:
        return data.Tenant(**json.loads(saved.read_text()))
    env = dict(os.environ)
    data.database_create(data.database_url())
    data.manage(env, "migrate", "--noinput")
    tenant = data.tenant_create(env)
    data.seed(env, tenant, rows)
    saved.parent.mkdir(parents=True, exist_ok=True)
    saved.write_text(json.dumps(dataclasses.asdict(tenant)))
    return tenant


def cases(tenant: data.Tenant) -> dict[str, str]:
    """Return the paths timed, by name."""
    import psycopg

    with psycopg.connect(data.libpq_url(data.database_url())) as conn:
        (sid,) = conn.execute(
            "SELECT sid FROM recordings_recording WHERE account_id = %s AND status = 'completed' "
            "ORDER BY sid LIMIT 1",
            (tenant.account_sid,),
        ).fetchone()
    return {
        "list": "/v1/Recordings?PageSize=50",
        "naive": "/bench/naive/Recordings?PageSize=50",
        "media": f"/v1/Recordings/{sid}/Media",
        "trivial": "/bench/trivial",
    }


def client_for(tenant: data.Tenant):
    import django

    django.setup()
    from django.test import Client

    basic = base64.b64encode(f"{tenant.key_sid}:{tenant.key_secret}".encode()).decode()
    return Client(HTTP_AUTHORIZATION=f"Basic {basic}", HTTP_HOST="localhost")


def timed(client, path: str, requests: int) -> tuple[float, float]:
    """Return the median wall milliseconds of ``requests`` GETs of ``path`` and their mean CPU
    milliseconds (this process's only: on a shared machine the steadier of the two)."""
    samples = []
    cpu_started = time.process_time()
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(path)
        samples.append((time.perf_counter() - started) * 1000)
        if response.status_code not in (200, 302):
            raise SystemExit(f"{path}: {response.status_code} {response.content[:300]!r}")
    return statistics.median(samples), (time.process_time() - cpu_started) * 1000 / requests


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="the last run's database and tenant")
    args = parser.parse_args(argv)
    tenant = prepare(args.rows, args.reuse)
    paths = cases(tenant)
    client = client_for(tenant)
    for path in paths.values():
        timed(client, path, 30)  # warm: imports, connections, caches
    if args.profile:
        from pyinstrument import Profiler

        for name, path in paths.items():
            profiler = Profiler(interval=0.0001)
            with profiler:
                timed(client, path, args.requests * 5)
            out = Path(os.environ["DATA_DIR"]) / f"api-overhead-{name}.txt"
            out.write_text(profiler.output_text(show_all=False))
            print(f"{name}: {out}")
        return 0
    rounds: dict[str, list[tuple[float, float]]] = {name: [] for name in paths}
    for _ in range(args.repeat):
        for name, path in paths.items():
            rounds[name].append(timed(client, path, args.requests))
    medians = {}
    for name, measured in rounds.items():
        wall, cpu = ([m[i] for m in measured] for i in (0, 1))
        medians[name] = statistics.median(wall), statistics.median(cpu)
        print(
            f"{name:8} wall p50 {medians[name][0]:6.3f} ms (rounds {min(wall):.3f} to "
            f"{max(wall):.3f}); CPU {medians[name][1]:6.3f} ms (rounds {min(cpu):.3f} to "
            f"{max(cpu):.3f})"
        )
    ratios = (medians["list"][i] / medians["naive"][i] for i in (0, 1))
    print("list / naive: wall {:.2f}x, CPU {:.2f}x".format(*ratios))
    return 0


if __name__ == "__main__":
    sys.exit(main())
