"""Redis's visibility timeout outlasts every task's hard time limit (else a long task, such as a
composition, is delivered to a second worker while it still runs), derived from the limits, and a
timeout set below them is refused at start with a message naming both."""

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
REDIS = "redis://127.0.0.1:6379/12"  # never connected to: settings are only read

# Prints the visibility timeout a worker on this broker uses, and the hard time limit of every
# task it has registered (None: the default, CELERY_TASK_TIME_LIMIT).
_READ = """
import json
from celery import current_app
from django.conf import settings
limits = {name: task.time_limit for name, task in current_app.tasks.items()
          if not name.startswith("celery.")}
print(json.dumps({
    "visibility_timeout": current_app.conf.broker_transport_options["visibility_timeout"],
    "default_limit": settings.CELERY_TASK_TIME_LIMIT,
    "limits": limits,
}))
"""


def _start(tmp_path, **variables: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATA_DIR": str(tmp_path), "CELERY_BROKER_URL": REDIS, **variables}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", _READ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )


def _read(tmp_path, **variables: str) -> dict:
    result = _start(tmp_path, **variables)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_visibility_timeout_outlasts_every_registered_tasks_time_limit(tmp_path):
    read = _read(tmp_path)

    limits = {name: limit or read["default_limit"] for name, limit in read["limits"].items()}
    assert "compositions.compose" in limits and "recordings.tasks.run_import" in limits
    assert limits["compositions.compose"] == 2 * 3600 + 60  # the longest, by far
    assert read["visibility_timeout"] > max(limits.values())


def test_a_longer_composition_limit_lengthens_the_visibility_timeout(tmp_path):
    read = _read(tmp_path, COMPOSITION_TIME_LIMIT="20000")

    assert read["limits"]["compositions.compose"] == 20000
    assert read["visibility_timeout"] > 20000


def test_a_visibility_timeout_below_a_tasks_time_limit_is_refused(tmp_path):
    # An hour, as before: a composition may run two.
    result = _start(tmp_path, VISIBILITY_TIMEOUT="3600")

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "VISIBILITY_TIMEOUT (3600) must be more than COMPOSITION_TIME_LIMIT (7260)" in (
        result.stderr
    )
