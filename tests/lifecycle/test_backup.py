"""backup_vault, restore_vault and the restore drill, run as an operator runs them: manage.py in a
vault of the test's own (SQLite, local media), never the test database."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

REPO = Path(__file__).resolve().parents[2]


def _vault_env(folder: Path) -> dict[str, str]:
    env = {**os.environ, "DATA_DIR": str(folder), "CELERY_TASK_ALWAYS_EAGER": "true"}
    for name in ("DATABASE_URL", "CELERY_BROKER_URL", "MEDIA_ROOT", "MEDIA_STORAGE", "SECRET_KEY"):
        env.pop(name, None)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args, "--skip-checks"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )


@pytest.fixture
def vault(tmp_path) -> dict[str, str]:
    """A vault of the test's own, holding one call with real audio."""
    env = _vault_env(tmp_path / "vault")
    assert _manage(env, "migrate", "--noinput", "-v", "0").returncode == 0
    created = _manage(env, "create_account", "--name", "Backups", "--json")
    sid = json.loads(created.stdout)["account_sid"]
    call = _manage(env, "simulate_call", "--account", sid, "--seconds", "2", "--json")
    assert call.returncode == 0, call.stderr
    return env


def test_a_restore_from_a_backup_with_one_byte_changed_is_refused_and_changes_nothing(
    vault, tmp_path
):
    backup = tmp_path / "backup"
    made = _manage(vault, "backup_vault", "--to", str(backup), "--json")
    assert made.returncode == 0, made.stderr
    stored = sorted((backup / "media").rglob("*.*"))
    assert stored, "the call's media should be in the backup"
    damaged = stored[0]
    data = bytearray(damaged.read_bytes())
    data[len(data) // 2] ^= 0x01
    damaged.write_bytes(bytes(data))
    media_root = Path(vault["DATA_DIR"]) / "media"
    for path in sorted(media_root.rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()

    refused = _manage(vault, "restore_vault", "--from", str(backup))

    assert refused.returncode != 0
    assert f"{damaged} does not match its checksum in media.sha256" in refused.stderr
    assert "the backup is damaged; nothing was restored" in refused.stderr
    assert not any(path.is_file() for path in media_root.rglob("*"))


def test_a_vault_is_checked_against_its_backup_and_differences_are_named(vault, tmp_path):
    backup = tmp_path / "backup"
    assert _manage(vault, "backup_vault", "--to", str(backup)).returncode == 0
    same = _manage(vault, "restore_vault", "--from", str(backup), "--check", "--json")
    assert same.returncode == 0, same.stderr
    assert json.loads(same.stdout)["differences"] == []
    gone = next(path for path in (Path(vault["DATA_DIR"]) / "media").rglob("*.*"))
    gone.unlink()

    changed = _manage(vault, "restore_vault", "--from", str(backup), "--check", "--json")

    assert changed.returncode == 1
    key = gone.relative_to(Path(vault["DATA_DIR"]) / "media").as_posix()
    assert json.loads(changed.stdout)["differences"] == [f"media {key}: missing"]


def test_a_folder_without_a_manifest_is_not_a_backup(tmp_path):
    (tmp_path / "media.sha256").write_text("")

    with pytest.raises(CommandError, match=r"not a complete backup: .*manifest.json is missing"):
        call_command("restore_vault", "--from", str(tmp_path))


def test_a_backup_never_goes_into_a_folder_holding_files(tmp_path):
    (tmp_path / "something").write_text("kept")

    with pytest.raises(CommandError, match="is not empty: a backup goes to a new folder"):
        call_command("backup_vault", "--to", str(tmp_path))
    assert (tmp_path / "something").read_text() == "kept"


def test_the_restore_drill_passes_on_the_embedded_defaults(tmp_path):
    env = _vault_env(tmp_path / "operator")
    for name in ("DRILL_DATABASE_URL", "AWS_S3_ENDPOINT_URL"):
        env.pop(name, None)

    drill = subprocess.run(
        [sys.executable, "manage.py", "restore_drill"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )

    assert drill.returncode == 0, drill.stderr
    assert "scratch vault: database SQLite, local media" in drill.stdout
    assert "equal to the backup's" in drill.stdout
    assert drill.stdout.rstrip().endswith("restore drill passed")
    # Its scratch vault is its own: the operator's DATA_DIR holds no database or media.
    assert not (tmp_path / "operator" / "roomvault.sqlite3").exists()
    # (manage.py prepares the operator's empty folders, as every entry point does.)
    assert not any(path.is_file() for path in (tmp_path / "operator" / "media").rglob("*"))
