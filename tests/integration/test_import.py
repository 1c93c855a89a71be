"""An import killed outright (SIGKILL, no chance to clean up) half-way through, then run again:
the second run completes the same job, and every recording is there once, with its media."""

import io
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from recordings.imports.common import _IMPORTS_LOCK
from recordings.imports.models import ImportItem, ImportJob
from recordings.media.store import get_media_store
from recordings.video.models import Recording
from recordings.voice.models import VoiceRecording
from tests.helpers import wait_for
from tests.imports.source import FaultyProxy, SourceServer
from tests.imports.test_import_folder import Export, run
from tests.integration.test_retention import _other_connection

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    with SourceServer(tmp_path_factory.mktemp("source")) as server:
        server.seed_account()
        yield server


def _command(source, base_url: str) -> list[str]:
    return [
        "import_twilio",
        "--account-sid",
        source.account_sid,
        "--auth-token",
        source.auth_token,
        "--api-base-url",
        base_url,
        "--include-deleted",
        "--voice",
        "--concurrency",
        "1",
    ]


def test_a_killed_import_is_completed_by_the_next_run(source, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    get_media_store.cache_clear()
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "CELERY_TASK_ALWAYS_EAGER": "true",
    }
    with FaultyProxy(source.base_url) as proxy:
        # Each media download takes half a second: long enough to be killed in the middle.
        proxy.slow(40, seconds=0.5, path=r"/Media$")
        process = subprocess.Popen(
            [sys.executable, "manage.py", *_command(source, proxy.base_url)],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            assert wait_for(
                lambda: ImportItem.objects.filter(result="imported").count() >= 2, seconds=60
            ), "the import never got going"
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
        job = ImportJob.objects.get()
        before = job.items.filter(result="imported").count()
        assert job.status == ImportJob.Status.RUNNING  # killed: it never got to say otherwise
        assert before < 16, "the run finished before it could be killed"

        # The same command again (through the same address: an import is its source's).
        proxy.clear()
        out = io.StringIO()
        call_command(*_command(source, proxy.base_url), "--json", stdout=out, stderr=io.StringIO())
        summary = json.loads(out.getvalue())

    assert summary["job"] == job.pk
    assert summary["imported"] == 16
    assert Recording.objects.count() == 12 and VoiceRecording.objects.count() == 4
    assert ImportItem.objects.filter(job=job, result="imported").count() == 16
    store = get_media_store()
    kept = {r.media_key for r in Recording.objects.exclude(media_key="")}
    assert {k for k in store.keys(prefix="") if "/voice/" not in k} == kept
    for recording in Recording.objects.exclude(media_key=""):
        with store.open(recording.media_key) as file:
            assert file.read() == source.media_bytes(recording.sid)


def test_a_file_a_live_run_may_yet_name_is_left_until_that_run_ends(tmp_path, account):
    """A file no row names at a recording's key is replaced only once no run into the account
    is between storing a file and committing its row: one may be about to name it."""
    export = Export(tmp_path / "export")
    doc = export.recording()
    path = Path(get_media_store().root, account.sid, doc["grouping_sids"]["room_sid"])
    path.mkdir(parents=True)
    (path / f"{doc['sid']}.mka").write_bytes(b"a live run's")
    summaries = []

    def import_in_a_thread():
        try:
            summaries.append(run(export.root, account.sid))
        finally:
            connection.close()

    worker = threading.Thread(target=import_in_a_thread)
    with _other_connection() as other, other.transaction():
        # Another run mid-batch, as PostgreSQL sees it: a transaction holding the account's lock.
        other.execute(
            "SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [_IMPORTS_LOCK, account.sid]
        )
        worker.start()
        waiting = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        assert wait_for(lambda: other.execute(waiting).fetchone()[0] == 1, seconds=30)
        assert (path / f"{doc['sid']}.mka").read_bytes() == b"a live run's"
    worker.join(timeout=30)

    assert summaries[0]["imported"] == 1
    assert Recording.objects.get(sid=doc["sid"]).media_key.endswith(f"{doc['sid']}.mka")
    assert (path / f"{doc['sid']}.mka").read_bytes() == (
        export.root / f"{doc['sid']}.mka"
    ).read_bytes()
