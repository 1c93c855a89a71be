"""Settings that refuse to split-brain: several hosts on one database must share SECRET_KEY, and
importing the settings leaves the disk alone (the entry points prepare DATA_DIR)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# Parsed, never connected to: the refusal comes before any connection.
SERVER_DATABASE = "postgres://postgres@127.0.0.1:5432/roomvault_never_reached"
PRINT_KEY = "from django.conf import settings; print(settings.SECRET_KEY)"


def _run(argv: list[str], data_dir: Path, **variables: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATA_DIR": str(data_dir), **variables}
    for name in ("DJANGO_SETTINGS_MODULE", "SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL"):
        if name not in variables:
            env.pop(name, None)
    return subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)


def _refused(result: subprocess.CompletedProcess) -> None:
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr + result.stdout


@pytest.mark.parametrize(
    "argv",
    [
        [sys.executable, "manage.py", "check"],
        [str(BIN / "celery"), "-A", "console", "worker", "--pool", "solo"],
        [str(BIN / "celery"), "-A", "console", "beat"],
        [str(BIN / "celery"), "-A", "console", "inspect", "ping"],
        [str(BIN / "gunicorn"), "--bind", "127.0.0.1:0", "console.wsgi"],
    ],
    ids=["manage.py", "worker", "beat", "inspect", "gunicorn"],
)
def test_a_server_database_without_secret_key_stops_every_process(tmp_path, argv):
    result = _run(argv, tmp_path / "data", DATABASE_URL=SERVER_DATABASE)

    _refused(result)
    assert not (tmp_path / "data").exists()


def test_manage_py_says_why_in_one_line_not_a_traceback(tmp_path):
    result = _run([sys.executable, "manage.py", "check"], tmp_path, DATABASE_URL=SERVER_DATABASE)

    _refused(result)
    assert result.stderr.startswith("ImproperlyConfigured: SECRET_KEY is not set")
    assert "Traceback" not in result.stderr


def test_an_empty_secret_key_is_refused_as_a_missing_one(tmp_path):
    result = _run(
        [sys.executable, "manage.py", "check"],
        tmp_path,
        DATABASE_URL=SERVER_DATABASE,
        SECRET_KEY="",
    )

    _refused(result)


def test_a_server_database_with_secret_key_starts_and_uses_it(tmp_path):
    result = _run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", PRINT_KEY],
        tmp_path / "data",
        DATABASE_URL=SERVER_DATABASE,
        SECRET_KEY="one-key-for-every-host",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "one-key-for-every-host"
    assert not (tmp_path / "data" / "secret_key").exists()


def test_importing_the_settings_creates_nothing_on_disk(tmp_path):
    data_dir = tmp_path / "fresh"
    result = _run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.DATA_FOLDERS)"],
        data_dir,
        DJANGO_SETTINGS_MODULE="console.settings",
    )

    assert result.returncode == 0, result.stderr
    assert str(data_dir) in result.stdout
    assert not data_dir.exists()


def test_a_script_that_sets_django_up_on_a_fresh_machine_gets_the_generated_key(tmp_path):
    data_dir = tmp_path / "fresh"
    argv = [sys.executable, "-c", f"import django; django.setup(); {PRINT_KEY}"]

    result = _run(argv, data_dir, DJANGO_SETTINGS_MODULE="console.settings")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (data_dir / "secret_key").read_text().strip()


def test_a_single_host_generates_its_key_once_and_every_process_reads_it(tmp_path):
    data_dir = tmp_path / "fresh"
    argv = [sys.executable, "manage.py", "shell", "--no-imports", "-c", PRINT_KEY]

    first, second = _run(argv, data_dir), _run(argv, data_dir)

    assert first.returncode == 0, first.stderr
    key = (data_dir / "secret_key").read_text().strip()
    assert len(key) >= 50
    assert first.stdout.strip() == second.stdout.strip() == key
    assert (data_dir / "secret_key").stat().st_mode & 0o777 == 0o600


def test_a_celery_command_on_a_fresh_machine_prepares_the_filesystem_broker(tmp_path):
    data_dir = tmp_path / "fresh"

    result = _run([str(BIN / "celery"), "-A", "console", "purge", "-f"], data_dir)

    assert result.returncode == 0, result.stderr
    assert (data_dir / "broker" / "processed").is_dir()
    assert (data_dir / "broker" / "control").is_dir()
    assert (data_dir / "secret_key").exists()
