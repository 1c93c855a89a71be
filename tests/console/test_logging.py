"""LOG_FORMAT=json: one JSON object a line on stderr, from the web process and the worker alike,
and never a credential in it."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SECRET = "AC00000000000000000000000000000001:very-secret-auth-token"

# A web process's requests and an exception, through the real middleware and logging config.
_WEB = f"""
import logging
from django.test import Client
client = Client(HTTP_HOST="127.0.0.1")
client.get("/login/")
client.get("/v1/Recordings", HTTP_AUTHORIZATION="Basic {SECRET}")
try:
    1 / 0
except ZeroDivisionError:
    logging.getLogger("console.example").exception("it broke")
"""


def _env(tmp_path: Path, **variables: str) -> dict[str, str]:
    env = {**os.environ, "DATA_DIR": str(tmp_path), "LOG_FORMAT": "json", **variables}
    for name in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "CELERY_BROKER_URL"):
        env.pop(name, None)
    return env


def _lines(stderr: str) -> list[dict]:
    return [json.loads(line) for line in stderr.splitlines() if line.strip()]


def test_the_web_logs_one_json_object_a_line_with_each_request(tmp_path):
    env = _env(tmp_path)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=REPO, env=env, check=True)

    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", _WEB],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    lines = _lines(result.stderr)  # every line parses, or this fails
    requests = [line for line in lines if line["logger"] == "console.requests"]
    login = next(line for line in requests if line["route"] == "login/")
    assert login["method"] == "GET"
    assert login["status"] == 200
    assert login["level"] == "INFO"
    assert login["duration_ms"] >= 0
    assert login["timestamp"]
    api = next(line for line in requests if line["route"].startswith("v1/"))
    assert api["status"] == 401
    broke = next(line for line in lines if line["message"] == "it broke")
    assert broke["level"] == "ERROR"
    assert "ZeroDivisionError" in broke["exc_info"]
    assert "very-secret-auth-token" not in result.stderr
    assert "Authorization" not in result.stderr


def test_a_worker_logs_json_too(tmp_path):
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "console", "worker", "--pool", "solo"],
        cwd=REPO,
        env=_env(tmp_path),
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        lines = []
        while time.monotonic() < deadline:
            line = worker.stderr.readline()
            if not line:
                break
            lines.append(json.loads(line))
            if "ready" in lines[-1]["message"]:
                break
    finally:
        worker.terminate()
        worker.wait(timeout=30)

    ready = next(line for line in lines if "ready" in line["message"])
    assert ready["logger"].startswith("celery")
    assert ready["level"] == "INFO"
