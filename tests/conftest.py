"""Shared fixtures: accounts with credentials, API clients, a private media folder, eager Celery."""

import io
import os
import tempfile
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from console import services as console_services
from recordings.media.store import get_media_store
from recordings.video import services
from tests.factories import AccountFactory, RecordingFactory
from tests.helpers import basic_auth, client_for

# Fixtures through which a test reaches the database (pytest-django's own; ``fixturenames`` lists
# every fixture a test uses, directly or through others).
_DATABASE_FIXTURES = {"db", "transactional_db", "django_db_reset_sequences", "live_server"}


def pytest_collection_modifyitems(config, items):
    """With DATABASE_TESTS_ONLY=1 (the PostgreSQL run of ``make test-integration``), leave out the
    tests that never touch a database: ``make test`` ran them already, and their answer does not
    depend on which database is configured."""
    if os.environ.get("DATABASE_TESTS_ONLY") != "1":
        return
    kept, left_out = [], []
    for item in items:
        uses_database = item.get_closest_marker("django_db") or _DATABASE_FIXTURES & set(
            getattr(item, "fixturenames", ())
        )
        (kept if uses_database else left_out).append(item)
    config.hook.pytest_deselected(items=left_out)
    items[:] = kept


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    """Run Celery tasks in-process; keep media and cached figures to the test itself."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.MEDIA_ROOT = tmp_path / "media"
    # A cache of the test's own: figures cached by one test never show in another.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": str(tmp_path),
        }
    }
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # An importer retrying a source that is down waits seconds, not a minute.
    settings.IMPORT_RETRY_BACKOFF_SECONDS = 0.01
    # Callback receivers and import sources of the tests listen on loopback (tests/security
    # puts the production default back to see it refused).
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    from console.celery import app

    app.conf.task_always_eager = True
    get_media_store.cache_clear()
    yield
    get_media_store.cache_clear()


@pytest.fixture
def account(db):
    return AccountFactory()


@pytest.fixture
def other_account(db):
    return AccountFactory()


@pytest.fixture
def api(account) -> APIClient:
    """An API client authenticated as ``account`` with its auth token."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=basic_auth(account.sid, account.auth_token))
    return client


@pytest.fixture
def make_completed_recording(account):
    """Build a completed recording (of ``account``, unless a track is given) with stored media."""

    def make(media: bytes = b"\x1aE\xdf\xa3" + bytes(range(256)) * 40, **kwargs):
        if "track" not in kwargs:
            kwargs.setdefault("track__participant__room__account", account)
        recording = RecordingFactory(**kwargs)
        return services.recording_complete(recording=recording, media=io.BytesIO(media), duration=7)

    return make


@pytest.fixture
def console_client(account, client):
    """Return a function that signs a new console user with ``role`` in ``account`` in."""

    def sign_in(role: str, *, in_account=None):
        membership = console_services.member_set(
            account=in_account or account, email=f"{role}@example.com", password=None, role=role
        )
        client.force_login(membership.user)
        return client

    return sign_in


@pytest.fixture
def api_key(account):
    return console_services.api_key_create(account=account, friendly_name="test key")


@pytest.fixture
def ingest_key(account):
    """The key a media server or telephony platform holds: scope ``ingest``."""
    return console_services.api_key_create(
        account=account, friendly_name="media server", scope="ingest"
    )


# The media server and telephony platform of the ingest tests.
@pytest.fixture
def ingest(ingest_key) -> APIClient:
    """The media server or telephony platform: an ingest key of the account."""
    return client_for(ingest_key.key.sid, ingest_key.secret)


@pytest.fixture
def stranger(other_account) -> APIClient:
    """A media server or platform holding an API key of another account."""
    key = console_services.api_key_create(
        account=other_account, friendly_name="theirs", scope="ingest"
    )
    return client_for(key.key.sid, key.secret)


@pytest.fixture
def upload_tmp(tmp_path, monkeypatch) -> Path:
    """Where uploads are spooled while they are checked: a folder of the test's own."""
    folder = tmp_path / "spool"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder
