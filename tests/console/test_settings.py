"""Settings that refuse values that cannot work, at start, with a message naming them."""

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# Prints the import task's own time limits, as a worker would run it.
_LIMITS = (
    "from recordings.imports import tasks; print(tasks.run_import.soft_time_limit, "
    "tasks.run_import.time_limit)"
)


def _start(tmp_path, **variables: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATA_DIR": str(tmp_path), **variables}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", _LIMITS],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )


def test_an_import_slice_that_would_outlast_the_soft_time_limit_is_refused(tmp_path):
    # 300 s of new recordings plus 600 s for the last downloads cannot end inside 840 s.
    result = _start(tmp_path, IMPORT_TASK_SECONDS="300")

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "IMPORT_TASK_SECONDS (300)" in result.stderr
    assert "IMPORT_DOWNLOAD_SECONDS (600)" in result.stderr
    assert "IMPORT_TASK_SOFT_TIME_LIMIT (840)" in result.stderr


def test_a_budget_that_fits_only_without_its_downloads_is_refused(tmp_path):
    # The slice alone fits, but the downloads it may leave in flight would run past the limit.
    result = _start(
        tmp_path,
        IMPORT_TASK_SECONDS="100",
        IMPORT_DOWNLOAD_SECONDS="100",
        IMPORT_TASK_SOFT_TIME_LIMIT="200",
        IMPORT_TASK_TIME_LIMIT="260",
    )

    assert result.returncode != 0
    assert "IMPORT_TASK_SECONDS (100) plus IMPORT_DOWNLOAD_SECONDS (100)" in result.stderr


def test_a_hard_limit_not_after_the_soft_one_is_refused(tmp_path):
    result = _start(tmp_path, IMPORT_TASK_SOFT_TIME_LIMIT="840", IMPORT_TASK_TIME_LIMIT="840")

    assert result.returncode != 0
    assert "IMPORT_TASK_TIME_LIMIT (840) must be more than IMPORT_TASK_SOFT_TIME_LIMIT" in (
        result.stderr
    )


def test_the_import_task_runs_under_its_own_limits_which_the_slice_fits(tmp_path):
    result = _start(
        tmp_path,
        IMPORT_TASK_SECONDS="1",
        IMPORT_DOWNLOAD_SECONDS="2",
        IMPORT_TASK_SOFT_TIME_LIMIT="5",
        IMPORT_TASK_TIME_LIMIT="15",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["5.0", "15.0"]
