"""Backup and restore of a whole vault: the database and every media object, with a manifest.

A backup is a folder: ``database.dump`` (PostgreSQL, ``pg_dump -Fc``) or ``database.sqlite3``
(SQLite, its online backup API), ``media/<key>`` (every object of the media store, local or S3,
read through the store), ``media.sha256`` (one ``<sha256>  <key>`` line per object: ``sha256sum
-c media.sha256`` run in ``media/`` checks it too) and ``manifest.json`` (each table's row count,
the database file's checksum, the media totals), written last: a folder without it is incomplete.

The database goes first, then the media. The row counts are taken in the very snapshot the dump
is made of (PostgreSQL: an exported snapshot shared with pg_dump), so they describe the dump
exactly. Media files are streamed, never held in memory, and restored through the store's own
``save``, so a key outside its account's prefix is refused as on any write.

Restore checks every checksum of the backup before it changes anything, restores the database,
compares the row counts, then writes the media objects the store does not hold yet.
"""

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from django.db import connection, transaction

from recordings.media.keys import UnsafeMediaKey, check_key
from recordings.media.store import CHUNK_SIZE, MediaStore, get_media_store

MANIFEST = "manifest.json"
MEDIA_SUMS = "media.sha256"
MEDIA_FOLDER = "media"
FORMAT = 1
_DUMP_FILES = {"postgresql": "database.dump", "sqlite": "database.sqlite3"}


class BackupRefused(Exception):
    """A backup cannot be made, or a restore would not give back what was backed up."""


@dataclass
class Inventory:
    """What a vault holds: each table's row count and each media object's sha256."""

    tables: dict[str, int]
    media: dict[str, str] = field(default_factory=dict)
    media_bytes: int = 0

    def differences(self, other: "Inventory") -> list[str]:
        """Return one line per table or media object that differs from ``other`` (expected)."""
        lines = [
            f"table {name}: {self.tables.get(name)} rows, expected {other.tables.get(name)}"
            for name in sorted(set(self.tables) | set(other.tables))
            if self.tables.get(name) != other.tables.get(name)
        ]
        for key in sorted(set(self.media) | set(other.media)):
            if key not in self.media:
                lines.append(f"media {key}: missing")
            elif key not in other.media:
                lines.append(f"media {key}: not in the backup")
            elif self.media[key] != other.media[key]:
                lines.append(f"media {key}: sha256 differs")
        return lines


def _copy_hashing(source: BinaryIO, target: BinaryIO | None = None) -> tuple[str, int]:
    """Stream source (into target, if given); return its sha256 and size."""
    digest, size = hashlib.sha256(), 0
    while chunk := source.read(CHUNK_SIZE):
        digest.update(chunk)
        size += len(chunk)
        if target is not None:
            target.write(chunk)
    return digest.hexdigest(), size


def _file_sha256(path: Path) -> str:
    with path.open("rb") as stream:
        return _copy_hashing(stream)[0]


def _count_rows(cursor: Any, tables: list[str]) -> dict[str, int]:
    counts = {}
    for table in sorted(tables):
        cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
        counts[table] = cursor.fetchone()[0]
    return counts


def table_counts() -> dict[str, int]:
    """Return the row count of every table of the database."""
    with connection.cursor() as cursor:
        return _count_rows(cursor, connection.introspection.table_names(cursor))


def _libpq_env() -> dict[str, str]:
    """Return the environment that points pg_dump and pg_restore at Django's database."""
    db = connection.settings_dict
    values = {"PGHOST": db["HOST"], "PGPORT": db["PORT"], "PGUSER": db["USER"]}
    values["PGPASSWORD"] = db["PASSWORD"]
    values["PGDATABASE"] = db["NAME"]
    return {**os.environ, **{name: str(value) for name, value in values.items() if value}}


def _run(command: list[str]) -> None:
    result = subprocess.run(command, env=_libpq_env(), capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupRefused(f"{command[0]} failed: {result.stderr.strip()[-2000:]}")


def _dump_database(target: Path) -> dict[str, int]:
    """Write the database to target; return the row counts of the copy written."""
    if connection.vendor == "postgresql":
        # pg_dump reads the snapshot this transaction exported, so the counts taken here are
        # those of the dump, whatever is written meanwhile.
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            counts = _count_rows(cursor, connection.introspection.table_names(cursor))
            _run(["pg_dump", "-Fc", "--no-owner", f"--snapshot={snapshot}", "-f", str(target)])
        return counts
    if connection.vendor == "sqlite":
        source = sqlite3.connect(connection.settings_dict["NAME"])
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
            tables = [
                row[0]
                for row in copy.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' "
                    "AND name NOT LIKE 'sqlite_%'"
                )
            ]
            return _count_rows(copy.cursor(), tables)
        finally:
            copy.close()
            source.close()
    raise BackupRefused(f"no backup for a {connection.vendor} database")


def _stored_keys(store: MediaStore) -> Iterator[str]:
    """Yield the store's media keys; anything else in it (not a key) is not ours to copy."""
    for key in store.keys():  # noqa: SIM118 (a store, not a dict)
        try:
            yield check_key(key)
        except UnsafeMediaKey:
            continue


def vault_inventory(*, store: MediaStore | None = None) -> Inventory:
    """Count every table's rows and checksum every media object (streamed) of this vault."""
    store = store or get_media_store()
    inventory = Inventory(tables=table_counts())
    for key in _stored_keys(store):
        with store.open(key) as stream:
            inventory.media[key], size = _copy_hashing(stream)
        inventory.media_bytes += size
    return inventory


def vault_backup(*, target: Path) -> dict:
    """Back up the database, then every media object, into the new folder target; return the
    manifest written."""
    target = Path(target)
    if target.exists() and any(target.iterdir()):
        raise BackupRefused(f"{target} is not empty: a backup goes to a new folder")
    target.mkdir(parents=True, exist_ok=True)
    database_file = target / _DUMP_FILES.get(connection.vendor, "database")
    tables = _dump_database(database_file)
    store, objects, total = get_media_store(), 0, 0
    with (target / MEDIA_SUMS).open("w") as sums:
        for key in _stored_keys(store):
            path = target / MEDIA_FOLDER / key
            path.parent.mkdir(parents=True, exist_ok=True)
            with store.open(key) as stream, path.open("xb") as out:
                digest, size = _copy_hashing(stream, out)
            sums.write(f"{digest}  {key}\n")
            objects, total = objects + 1, total + size
    manifest = {
        "format": FORMAT,
        "created": datetime.now(UTC).isoformat(),
        "database": {
            "vendor": connection.vendor,
            "file": database_file.name,
            "sha256": _file_sha256(database_file),
        },
        "tables": tables,
        "media": {"objects": objects, "bytes": total, "checksums": MEDIA_SUMS},
    }
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


def _read_sums(source: Path) -> dict[str, str]:
    sums = {}
    for line in (source / MEDIA_SUMS).read_text().splitlines():
        digest, key = line.split("  ", 1)
        sums[check_key(key)] = digest
    return sums


def backup_read(*, source: Path) -> tuple[dict, Inventory]:
    """Return a backup's manifest and the inventory it records, after checking every file of it
    against its checksum; raise BackupRefused, naming the first damaged file, otherwise."""
    source = Path(source)
    try:
        manifest = json.loads((source / MANIFEST).read_text())
        sums = _read_sums(source)
    except FileNotFoundError as exc:
        missing = Path(exc.filename or "").name
        raise BackupRefused(f"{source} is not a complete backup: {missing} is missing") from exc
    except (ValueError, UnsafeMediaKey) as exc:
        raise BackupRefused(f"{source}: the manifest or {MEDIA_SUMS} is unreadable: {exc}") from exc
    if manifest.get("format") != FORMAT:
        raise BackupRefused(f"{source}: backup format {manifest.get('format')!r} is not {FORMAT}")
    database_file = source / manifest["database"]["file"]
    if _file_sha256(database_file) != manifest["database"]["sha256"]:
        raise BackupRefused(f"{database_file} does not match its checksum: the backup is damaged")
    inventory = Inventory(tables=manifest["tables"], media=sums)
    for key, expected in sums.items():
        path = source / MEDIA_FOLDER / key
        if not path.is_file() or _file_sha256(path) != expected:
            raise BackupRefused(
                f"{path} does not match its checksum in {MEDIA_SUMS}: the backup is damaged; "
                "nothing was restored"
            )
        inventory.media_bytes += path.stat().st_size
    return manifest, inventory


def _restore_database(source: Path, manifest: dict) -> None:
    vendor, dump = manifest["database"]["vendor"], source / manifest["database"]["file"]
    if vendor != connection.vendor:
        raise BackupRefused(f"the backup is of a {vendor} database, this is {connection.vendor}")
    if vendor == "postgresql":
        connection.close()
        _run(
            [
                *("pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction"),
                *("--exit-on-error", "-d", connection.settings_dict["NAME"], str(dump)),
            ]
        )
        return
    connection.close()
    # Into a copy first, renamed into place: a reader never sees a half-restored file.
    live = Path(connection.settings_dict["NAME"])
    fd, partial = tempfile.mkstemp(dir=live.parent, prefix=".restore-")
    os.close(fd)
    backup, copy = sqlite3.connect(dump), sqlite3.connect(partial)
    try:
        backup.backup(copy)
    finally:
        copy.close()
        backup.close()
    shutil.move(partial, live)


def vault_restore(*, source: Path) -> Inventory:
    """Restore the backup in source into this vault's database and media store; return what was
    restored. Nothing changes unless every file of the backup matches its checksum."""
    source = Path(source)
    manifest, expected = backup_read(source=source)
    _restore_database(source, manifest)
    counts = table_counts()
    wrong = Inventory(tables=counts).differences(Inventory(tables=expected.tables))
    if wrong:
        raise BackupRefused("the restored database differs from the backup: " + "; ".join(wrong))
    store = get_media_store()
    for key, digest in expected.media.items():
        if store.exists(key):
            with store.open(key) as stream:
                if _copy_hashing(stream)[0] != digest:
                    raise BackupRefused(f"media {key}: the store holds a different object")
            continue
        with (source / MEDIA_FOLDER / key).open("rb") as stream:
            store.save(key, stream, account_sid=key.split("/", 1)[0])
    return expected
