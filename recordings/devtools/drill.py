"""The restore drill: prove that a backup brings a vault back, on a vault made for the purpose.

Never the operator's data: every step runs as ``manage.py`` in a scratch environment of its own
(a temporary DATA_DIR with SQLite, local media and eager tasks; a scratch PostgreSQL database
created on the server of ``DRILL_DATABASE_URL``; a scratch bucket when ``MEDIA_STORAGE=s3``, on
``AWS_S3_ENDPOINT_URL`` if set), all removed at the end. Steps: seed a room and a call with real
media, back up, check the vault against the backup, wipe (drop the database, delete the media),
check that the check now fails, restore, check again. Any difference fails the drill.
"""

import contextlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings

# The operator's own places and secrets: never handed to a step of the drill.
_OPERATOR_VARIABLES = (
    "DATA_DIR",
    "DATABASE_URL",
    "MEDIA_ROOT",
    "MEDIA_ACCEL_REDIRECT",
    "CELERY_BROKER_URL",
    "CACHE_URL",
    "AWS_STORAGE_BUCKET_NAME",
    "SECRET_KEY",
    "PROMETHEUS_MULTIPROC_DIR",
)


class DrillFailed(Exception):
    """A step of the drill failed, or the restored vault differs from the backed-up one."""


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """Run one manage.py command in the scratch environment. The system checks, which the drill's
    own command has passed, are skipped: they took most of each step's time."""
    return subprocess.run(
        [sys.executable, str(settings.BASE_DIR / "manage.py"), *args, "--skip-checks"],
        env=env,
        capture_output=True,
        text=True,
    )


def _step(env: dict[str, str], *args: str) -> str:
    """Run one manage.py command in the scratch environment; return its output."""
    result = _manage(env, *args)
    if result.returncode != 0:
        raise DrillFailed(f"manage.py {' '.join(args)} failed:\n{result.stderr.strip()[-3000:]}")
    return result.stdout


def _check(env: dict[str, str], backup: Path) -> list[str]:
    """Return the differences between the scratch vault and the backup (none: identical)."""
    result = _manage(env, "restore_vault", "--from", str(backup), "--check", "--json")
    if result.returncode not in (0, 1) or not result.stdout.strip():
        raise DrillFailed(f"restore_vault --check failed:\n{result.stderr.strip()[-3000:]}")
    return json.loads(result.stdout)["differences"]


@contextlib.contextmanager
def _scratch_database(folder: Path) -> Iterator[tuple[dict[str, str], Callable[[], None]]]:
    """Yield the scratch database's settings and a function that wipes it."""
    server = os.environ.get("DRILL_DATABASE_URL", "")
    if not server:
        sqlite = folder / "data" / "roomvault.sqlite3"
        yield {}, lambda: sqlite.unlink()
        return
    import psycopg

    parts = urlsplit(server)
    name = f"{parts.path.strip('/') or 'roomvault'}_drill_{secrets.token_hex(4)}"
    # Created and dropped from the server's maintenance database, never the one named.
    admin = urlunsplit(parts._replace(path="/postgres"))

    def execute(statement: str) -> None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(statement)

    def wipe() -> None:
        execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        execute(f'CREATE DATABASE "{name}"')

    execute(f'CREATE DATABASE "{name}"')
    try:
        yield {"DATABASE_URL": urlunsplit(parts._replace(path=f"/{name}"))}, wipe
    finally:
        execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def _scratch_media(folder: Path) -> Iterator[tuple[dict[str, str], Callable[[], None]]]:
    """Yield the scratch media store's settings and a function that deletes every object."""
    if os.environ.get("MEDIA_STORAGE", "local") != "s3":
        media = folder / "media"
        yield {"MEDIA_STORAGE": "local", "MEDIA_ROOT": str(media)}, lambda: shutil.rmtree(media)
        return
    from recordings.media.s3 import s3_client

    client = s3_client(
        os.environ.get("AWS_S3_ENDPOINT_URL") or None,
        os.environ.get("AWS_S3_REGION_NAME", "us-east-1"),
        os.environ.get("AWS_ACCESS_KEY_ID", ""),
        os.environ.get("AWS_SECRET_ACCESS_KEY", ""),
    )
    bucket = f"roomvault-drill-{secrets.token_hex(6)}"

    def wipe() -> None:
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for item in page.get("Contents", []):
                client.delete_object(Bucket=bucket, Key=item["Key"])

    client.create_bucket(Bucket=bucket)
    try:
        yield {"MEDIA_STORAGE": "s3", "AWS_STORAGE_BUCKET_NAME": bucket}, wipe
    finally:
        wipe()
        client.delete_bucket(Bucket=bucket)


def restore_drill(*, say: Callable[[str], None]) -> None:
    """Run the drill, reporting each step with say; raise DrillFailed on any failure."""
    folder = Path(tempfile.mkdtemp(prefix="roomvault-drill-"))
    try:
        with (
            _scratch_database(folder) as (database, wipe_database),
            _scratch_media(folder) as (media, wipe_media),
        ):
            env = {n: v for n, v in os.environ.items() if n not in _OPERATOR_VARIABLES}
            env.update(
                DATA_DIR=str(folder / "data"),
                SECRET_KEY=secrets.token_urlsafe(50),
                CELERY_TASK_ALWAYS_EAGER="true",
                **database,
                **media,
            )
            _run(env, folder / "backup", wipe_database, wipe_media, say)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _run(
    env: dict[str, str],
    backup: Path,
    wipe_database: Callable[[], None],
    wipe_media: Callable[[], None],
    say: Callable[[str], None],
) -> None:
    # The database's name only: its URL may carry a password.
    database = urlsplit(env.get("DATABASE_URL", "sqlite:///")).path.strip("/") or "SQLite"
    say(f"scratch vault: database {database}, {env['MEDIA_STORAGE']} media")
    _step(env, "migrate", "--noinput", "-v", "0")
    account = json.loads(_step(env, "create_account", "--name", "Restore drill", "--json"))
    sid = account["account_sid"]
    _step(env, "simulate_room", "--account", sid, "--participants", "2", "--seconds", "2")
    _step(env, "simulate_call", "--account", sid, "--seconds", "2", "--dual")
    started = time.monotonic()
    manifest = json.loads(_step(env, "backup_vault", "--to", str(backup), "--json"))
    rows, objects = sum(manifest["tables"].values()), manifest["media"]["objects"]
    say(
        f"backed up in {time.monotonic() - started:.1f} s: {len(manifest['tables'])} tables, "
        f"{rows} rows, {objects} media objects ({manifest['media']['bytes']} bytes)"
    )
    if not objects or not rows:
        raise DrillFailed("the seeded vault holds no rows or no media: nothing was proven")
    if differences := _check(env, backup):
        raise DrillFailed("the backup differs from its vault:\n" + "\n".join(differences))
    wipe_database()
    wipe_media()
    gone = _check(env, backup)
    if not any(line.startswith("media ") for line in gone) or not any(
        line.startswith("table ") for line in gone
    ):
        raise DrillFailed("the wipe left the vault as it was: nothing would be proven")
    say(f"wiped: database dropped, media deleted ({len(gone)} differences from the backup)")
    started = time.monotonic()
    _step(env, "restore_vault", "--from", str(backup), "--json")
    say(f"restored in {time.monotonic() - started:.1f} s")
    if differences := _check(env, backup):
        raise DrillFailed("the restored vault differs from the backup:\n" + "\n".join(differences))
    say(f"compared: {rows} rows and {objects} media checksums equal to the backup's")
