"""/healthz and /readyz as a load balancer asks them: by IP address, over plain HTTP, behind a site
that redirects to HTTPS and allows only its own host name."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from recordings.media.store import get_media_store

LB = {"HTTP_HOST": "10.0.0.5"}
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _production_like(settings, tmp_path):
    settings.ALLOWED_HOSTS = ["recordings.example.com"]
    settings.SECURE_SSL_REDIRECT = True
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    get_media_store.cache_clear()


@pytest.fixture
def closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_healthz_answers_a_load_balancer_without_the_database(client):
    # No database fixture: a query would fail the request.
    response = client.get("/healthz", **LB)

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"


def test_other_paths_still_refuse_an_unknown_host_and_plain_http(client):
    assert client.get("/login/", **LB).status_code == 400
    assert client.get("/login/", HTTP_HOST="recordings.example.com").status_code == 301


def test_readyz_is_ok_when_database_broker_and_media_answer(client, db):
    response = client.get("/readyz", **LB)

    assert response.status_code == 200, response.content
    assert response.json() == {
        "status": "ok",
        "checks": {"database": {"ok": True}, "broker": {"ok": True}, "media": {"ok": True}},
    }


def test_readyz_names_a_broker_that_does_not_answer_without_its_password(
    client, db, settings, closed_port, caplog
):
    settings.CELERY_BROKER_URL = f"redis://:s3cretpw@127.0.0.1:{closed_port}/0"

    response = client.get("/readyz", **LB)

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["media"] == {"ok": True}
    assert body["checks"]["broker"]["ok"] is False
    assert "Connection refused" in body["checks"]["broker"]["error"]
    assert "s3cretpw" not in response.content.decode()
    assert "Not ready: broker" in caplog.text
    assert "s3cretpw" not in caplog.text


def test_readyz_names_a_missing_media_folder(client, db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "not-mounted"
    get_media_store.cache_clear()

    response = client.get("/readyz", **LB)

    assert response.status_code == 503
    media = response.json()["checks"]["media"]
    assert media["ok"] is False
    assert "not-mounted is not a folder" in media["error"]


@pytest.fixture
def read_only_folder(tmp_path):
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    immutable = False
    try:
        (folder / "probe").touch()
    except PermissionError:
        pass
    else:
        # Root writes through permissions: make the folder immutable instead.
        (folder / "probe").unlink()
        immutable = subprocess.run(["chattr", "+i", str(folder)], check=False).returncode == 0
        if not immutable:
            pytest.skip("this filesystem cannot make a folder unwritable for root")
    yield folder
    if immutable:
        subprocess.run(["chattr", "-i", str(folder)], check=True)
    folder.chmod(0o755)


def test_readyz_names_a_media_folder_that_cannot_be_written(client, db, settings, read_only_folder):
    settings.MEDIA_ROOT = read_only_folder
    get_media_store.cache_clear()

    response = client.get("/readyz", **LB)

    assert response.status_code == 503
    media = response.json()["checks"]["media"]
    assert media["ok"] is False
    assert "PermissionError" in media["error"]


def test_readyz_answers_within_its_timeout_when_a_check_hangs(client, db, settings, monkeypatch):
    import threading

    from console import health

    settings.READINESS_TIMEOUT_SECONDS = 0.2
    released = threading.Event()
    monkeypatch.setitem(health._CHECKS, "media", lambda: released.wait(5))
    try:
        response = client.get("/readyz", **LB)
    finally:
        released.set()

    assert response.status_code == 503
    assert json.loads(response.content)["checks"]["media"] == {
        "ok": False,
        "error": "no answer within 0.2 s",
    }


def test_probes_take_only_get_and_head(client):
    response = client.post("/healthz", **LB)

    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


_PROBE_BOTH = """
import base64
from django.test import Client
client = Client(HTTP_HOST="10.0.0.5")
print(client.get("/healthz").status_code)
answer = client.get("/readyz")
print(answer.status_code)
print(answer.content.decode())
credentials = base64.b64encode(b"AC0123456789abcdef0123456789abcdef:secret").decode()
api = Client(HTTP_HOST="localhost").get(
    "/v1/Recordings", HTTP_AUTHORIZATION=f"Basic {credentials}"
)
print(api.status_code, api.get("Retry-After"), api.content.decode())
"""


def test_a_database_that_does_not_answer_fails_readyz_and_the_api_says_503_not_500(
    closed_port, tmp_path
):
    # A process of its own: this one's database is the test database, which does answer.
    env = {
        **os.environ,
        "DATA_DIR": str(tmp_path),
        "SECRET_KEY": "tests-only-not-a-production-key",
        "DATABASE_URL": f"postgres://roomvault:dbpassw0rd@127.0.0.1:{closed_port}/roomvault",
        "DJANGO_SETTINGS_MODULE": "console.settings",
    }
    for name in ("MEDIA_ROOT", "MEDIA_STORAGE", "CELERY_BROKER_URL"):
        env.pop(name, None)
    code = f"import django; django.setup()\n{_PROBE_BOTH}"
    ran = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True
    )

    assert ran.returncode == 0, ran.stderr
    healthz, readyz, body, api = ran.stdout.splitlines()
    assert (healthz, readyz) == ("200", "503")
    checks = json.loads(body)["checks"]
    assert checks["database"]["ok"] is False
    assert "Connection refused" in checks["database"]["error"]
    assert checks["broker"] == {"ok": True} and checks["media"] == {"ok": True}
    assert "dbpassw0rd" not in body and "dbpassw0rd" not in ran.stderr
    # The API, whose every request reads the database, asks the client to retry: Twilio's 20503.
    api_status, retry_after, api_body = api.split(" ", 2)
    assert (api_status, retry_after) == ("503", "5")
    assert json.loads(api_body) == {
        "code": 20503,
        "message": "Service temporarily unavailable",
        "more_info": "https://www.twilio.com/docs/errors/20503",
        "status": 503,
    }
