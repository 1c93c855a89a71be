"""Fixtures of the ingest tests (media server and telephony platform alike)."""

import tempfile
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from console import services as console_services
from tests.helpers import client_for


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
