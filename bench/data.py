"""The benchmark's database: create it fresh, migrate, make the tenant, seed, and pick filters.

Everything goes through the app's own commands (``migrate``, ``create_account``,
``create_api_key``, ``add_member``, ``seed_recordings``), as an operator would run them; the bench
only adds ``VACUUM (ANALYZE)`` after each load, because this PostgreSQL runs with autovacuum off
and a production server's autovacuum would have analysed a table that grew this much, and a
``CHECKPOINT``, so that the load's dirty pages are not written out during the measurements.
"""

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

import psycopg

from bench.errors import BenchError

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/roomvault_bench"
OWNER_EMAIL = "bench-owner@example.com"
OWNER_PASSWORD = "bench-password-not-secret"  # a throwaway database's throwaway login
# One per core: a worker generates rows while the other's PostgreSQL backend writes them.
SEED_WORKERS = 2


@dataclass(frozen=True)
class Tenant:
    """The benchmarked account and its credentials."""

    account_sid: str
    auth_token: str
    key_sid: str
    key_secret: str
    email: str = OWNER_EMAIL
    password: str = OWNER_PASSWORD


def database_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)


def libpq_url(url: str) -> str:
    """Return the URL psycopg takes (django-environ's ``postgres://`` scheme is the same)."""
    return url.replace("postgresql://", "postgres://", 1)


def database_create(url: str) -> None:
    """Drop and create the database named in ``url`` (connecting to ``postgres`` on its server)."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name.replace("_", "").isalnum():
        raise BenchError(f"refusing to drop a database named {name!r}")
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(libpq_url(maintenance), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def manage(env: dict[str, str], *args: str) -> str:
    """Run ``manage.py`` with the bench environment and return its standard output."""
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise BenchError(f"manage.py {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def manage_json(env: dict[str, str], *args: str) -> dict:
    return json.loads(manage(env, *args).strip().splitlines()[-1])


def tenant_create(env: dict[str, str]) -> Tenant:
    """Create the account, an API key and a console owner through the app's commands."""
    account = manage_json(env, "create_account", "--name", "Bench", "--json")
    sid = account["account_sid"]
    key = manage_json(env, "create_api_key", "--account", sid, "--name", "bench", "--json")
    manage_json(
        env,
        *("add_member", "--account", sid, "--email", OWNER_EMAIL),
        *("--password", OWNER_PASSWORD, "--role", "owner", "--json"),
    )
    return Tenant(sid, account["auth_token"], key["sid"], key["secret"])


def seed(
    env: dict[str, str], tenant: Tenant, count: int, *, expired: bool = False, growth: bool = False
) -> float:
    """Load ``count`` recordings with ``seed_recordings``, analyse the table; return seconds.

    In ``SEED_WORKERS`` processes. A ``growth`` step (the table grows tenfold) drops the indexes
    and foreign keys for the load and builds them again after; the purge's sets, a tenth of the
    table or less, keep them: at 10M three rebuilds would cost more than the inserts (README).
    """
    started = time.monotonic()
    args = ["seed_recordings", "--account", tenant.account_sid, "--count", str(count), "--json"]
    args += ["--workers", str(SEED_WORKERS)]
    args += ["--expired"] if expired else []
    args += ["--defer-indexes"] if growth else []
    result = manage_json(env, *args)
    if result.get("count") != count:
        raise BenchError(f"seed_recordings loaded {result.get('count')} rows, asked {count}")
    vacuum_analyze()
    return time.monotonic() - started


def vacuum_analyze() -> None:
    with psycopg.connect(libpq_url(database_url()), autocommit=True) as conn:
        for table in (
            "recordings_recording",
            "recordings_room",
            "recordings_participant",
            "recordings_track",
        ):
            conn.execute(f"VACUUM (ANALYZE) {table}")
        conn.execute("CHECKPOINT")


# FILTERS ---------------------------------------------------------------------------------------


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def list_filters(account_sid: str) -> dict[str, str]:
    """Return the List API cases' queries (name → query string), from the account's own data.

    The room is the one with most recordings, the participant the busiest of it, the track one
    of that participant's; the date windows start in the middle of the recordings' year.
    """
    with psycopg.connect(libpq_url(database_url())) as conn:
        room, participant, track = conn.execute(
            """
            WITH room AS (
                SELECT room_id FROM recordings_recording WHERE account_id = %(a)s
                GROUP BY room_id ORDER BY count(*) DESC, room_id LIMIT 1
            ), participant AS (
                SELECT participant_id FROM recordings_recording
                WHERE room_id = (SELECT room_id FROM room)
                GROUP BY participant_id ORDER BY count(*) DESC, participant_id LIMIT 1
            )
            SELECT (SELECT room_id FROM room), participant_id,
                   (SELECT track_id FROM recordings_recording r
                    WHERE r.participant_id = participant.participant_id
                    ORDER BY status = 'deleted', track_id LIMIT 1)
            FROM participant
            """,
            {"a": account_sid},
        ).fetchone()
        first, last = conn.execute(
            "SELECT min(date_created), max(date_created) FROM recordings_recording "
            "WHERE account_id = %s",
            [account_sid],
        ).fetchone()
    middle = (first + (last - first) / 2).replace(minute=0, second=0, microsecond=0)
    week = {"DateCreatedAfter": _iso(middle), "DateCreatedBefore": _iso(middle + timedelta(7))}
    month = {"DateCreatedAfter": _iso(middle), "DateCreatedBefore": _iso(middle + timedelta(30))}
    cases = {
        "none": {},
        "Status": {"Status": "failed"},
        "room": {"GroupingSid": room},
        "participant": {"GroupingSid": participant},
        "SourceSid": {"SourceSid": track},
        "date range": week,
        "MediaType": {"MediaType": "video"},
        "Status+MediaType": {"Status": "completed", "MediaType": "audio"},
        "Status+dates": {"Status": "deleted", **month},
    }
    return {name: urlencode(params) for name, params in cases.items()}
