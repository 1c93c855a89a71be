"""An S3-compatible server for tests: moto in server mode, over real HTTP on 127.0.0.1.

No mocks patched into boto3: the code under test builds its own client and talks to this server
exactly as it would to S3 or MinIO.
"""

import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import boto3
import pytest
from botocore.config import Config
from moto.server import ThreadedMotoServer

from recordings.media.s3 import s3_client
from recordings.media.store import get_media_store

ACCESS_KEY = "testing-access-key"
SECRET_KEY = "testing-secret-key"
REGION = "us-east-1"


def free_port() -> int:
    """A port nobody listens on right now (bound and released at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class MotoS3:
    endpoint_url: str
    bucket: str
    client: object  # a boto3 S3 client of the test's own, to look into the bucket

    def keys(self) -> list[str]:
        listing = self.client.list_objects_v2(Bucket=self.bucket)
        return [item["Key"] for item in listing.get("Contents", [])]


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """Start one moto server for the session on an ephemeral port; yield its URL."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_settings(settings, moto_endpoint, monkeypatch) -> Iterator[MotoS3]:
    """Point MEDIA_STORAGE at a fresh bucket of the moto server (dummy credentials)."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    bucket = f"roomvault-{uuid.uuid4().hex[:12]}"
    client = boto3.client(
        "s3",
        endpoint_url=moto_endpoint,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )
    client.create_bucket(Bucket=bucket)
    settings.MEDIA_STORAGE = "s3"
    settings.AWS_S3_ENDPOINT_URL = moto_endpoint
    settings.AWS_STORAGE_BUCKET_NAME = bucket
    settings.AWS_ACCESS_KEY_ID = ACCESS_KEY
    settings.AWS_SECRET_ACCESS_KEY = SECRET_KEY
    settings.AWS_S3_REGION_NAME = REGION
    get_media_store.cache_clear()
    yield MotoS3(moto_endpoint, bucket, client)
    get_media_store.cache_clear()
    s3_client.cache_clear()
