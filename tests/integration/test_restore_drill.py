"""The restore drill on PostgreSQL and S3 (moto's server): a scratch database on the test's server
and a scratch bucket on the S3 endpoint, both gone afterwards."""

import os
import subprocess
import sys
from pathlib import Path

import boto3
import psycopg
import pytest
from botocore.config import Config
from django.db import connection

from tests.s3 import ACCESS_KEY, REGION, SECRET_KEY, moto_endpoint  # noqa: F401 (fixture)

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.integration


def _drill_databases(server: str) -> list[str]:
    with psycopg.connect(server.rsplit("/", 1)[0] + "/postgres") as conn:
        rows = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE '%\\_drill\\_%'")
        return [name for (name,) in rows]


@pytest.mark.django_db
def test_the_restore_drill_passes_on_postgresql_and_s3(moto_endpoint, tmp_path):  # noqa: F811
    db = connection.settings_dict
    server = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    before = _drill_databases(server)
    env = {
        **os.environ,
        "DATA_DIR": str(tmp_path / "operator"),
        "DRILL_DATABASE_URL": server,
        "MEDIA_STORAGE": "s3",
        "AWS_S3_ENDPOINT_URL": moto_endpoint,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_S3_REGION_NAME": REGION,
        "AWS_STORAGE_BUCKET_NAME": "the-operators-own-bucket",
    }

    drill = subprocess.run(
        [sys.executable, "manage.py", "restore_drill"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )

    assert drill.returncode == 0, drill.stdout + drill.stderr
    assert f"scratch vault: database {db['NAME']}_drill_" in drill.stdout
    assert ", s3 media" in drill.stdout
    assert "equal to the backup's" in drill.stdout
    assert _drill_databases(server) == before
    client = boto3.client(
        "s3",
        endpoint_url=moto_endpoint,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(s3={"addressing_style": "path"}),
    )
    buckets = [bucket["Name"] for bucket in client.list_buckets()["Buckets"]]
    assert not [name for name in buckets if name.startswith("roomvault-drill-")]
    assert "the-operators-own-bucket" not in buckets
