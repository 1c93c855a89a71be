"""Console imports on a real worker whose import task has tiny time limits (a 5 s soft limit,
enforced by the prefork pool): slices roll over, a stalled download is given up alone, and a slice
the soft limit stops anyway keeps its progress and hands the rest on. In every case the job ends
done, with every recording but the given-up one imported byte for byte."""

import re
import subprocess
from pathlib import Path

import pytest

from console.services import SYSTEM
from recordings.imports import services as import_services
from recordings.imports.models import ImportJob
from recordings.imports.twilio import STILL_PROCESSING
from recordings.media.store import get_media_store
from recordings.video.models import Recording
from recordings.voice.models import VoiceRecording
from tests.factories import AccountFactory
from tests.helpers import wait_for
from tests.imports.source import FaultyProxy, SourceServer
from tests.integration.conftest import purge_queue, start_queue_worker, worker_env

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

QUEUE, WORKER = "import-slices", "import-slices@roomvault-test"
SOFT_LIMIT = 5
# Slices take new recordings for 1 s and wait at most 2 s for a download: 3 s, inside the 5 s.
LIMITS = {
    "IMPORT_TASK_SECONDS": "1",
    "IMPORT_DOWNLOAD_SECONDS": "2",
    "IMPORT_TASK_SOFT_TIME_LIMIT": str(SOFT_LIMIT),
    "IMPORT_TASK_TIME_LIMIT": "30",
}
MEDIA = r"(/Media|\.wav)$"  # a video recording's media, a voice recording's audio
SLICE_DONE = re.compile(r"run_import\[[^\]]+\] succeeded in ([\d.]+)s")


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    with SourceServer(tmp_path_factory.mktemp("source")) as server:
        server.seed_account()
        yield server


@pytest.fixture
def proxy(source):
    with FaultyProxy(source.base_url) as proxy:
        yield proxy


@pytest.fixture
def worker_log(django_db_setup, integration_settings, shared_media_root, tmp_path):
    """Start a prefork worker (time limits need it) with the import limits above, on a queue of
    its own that this test's tasks go to; yield the path of its log."""
    from console.celery import app

    env = worker_env(shared_media_root, **LIMITS)
    purge_queue(env, QUEUE)
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        process = start_queue_worker(
            env,
            queue=QUEUE,
            name=WORKER,
            pool=("--pool", "prefork", "--concurrency", "1"),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    previous_queue = app.conf.task_default_queue
    app.conf.task_default_queue = QUEUE
    try:
        yield log
    finally:
        app.conf.task_default_queue = previous_queue
        process.terminate()
        process.wait(timeout=30)


def import_until_stopped(source, proxy) -> ImportJob:
    job = import_services.import_job_start(
        account=AccountFactory(friendly_name="target"),
        actor=SYSTEM,
        source_account_sid=source.account_sid,
        auth_token=source.auth_token,
        api_base_url=proxy.base_url,
        options={"voice": True, "include_deleted": True},
    )
    assert wait_for(
        lambda: ImportJob.objects.get(pk=job.pk).is_finished, seconds=180, interval=0.5
    ), "the import never finished"
    job.refresh_from_db()
    return job


def slice_seconds(log: Path) -> list[float]:
    """How long each import task the worker ran took."""
    return [float(s) for s in SLICE_DONE.findall(log.read_text())]


def assert_imported(job: ImportJob, source, *, but: set[str] = frozenset()) -> None:
    """Every importable recording of the source is here, media byte for byte, except ``but``;
    nothing failed but those the source is still processing (and ``but``)."""
    inventory = source.inventory()
    importable = set(inventory.voice_recordings) | {
        sid for sid, r in inventory.recordings.items() if r["status"] != "processing"
    }
    assert set(job.items.filter(result="imported").values_list("sid", flat=True)) == (
        importable - but
    )
    failed = dict(job.items.filter(result="failed").values_list("sid", "reason"))
    assert {sid for sid, r in failed.items() if r == STILL_PROCESSING} == inventory.sids(
        "processing"
    )
    assert set(failed) == inventory.sids("processing") | but
    store = get_media_store()
    for model in (Recording, VoiceRecording):
        stored = model.objects.filter(account=job.account).exclude(media_key="")
        assert stored.exists()
        for ours in stored:
            with store.open(ours.media_key) as file:
                assert file.read() == source.media_bytes(ours.sid), ours.sid


def test_slices_roll_over_on_a_slow_source_and_the_job_completes(source, proxy, worker_log):
    proxy.slow(1000, seconds=1.5, path=MEDIA)  # each download outlasts the 1 s budget

    job = import_until_stopped(source, proxy)

    assert (job.status, job.error, job.imported) == ("done", "", 16)
    assert_imported(job, source)
    seconds = slice_seconds(worker_log)
    assert len(seconds) >= 3, seconds
    assert max(seconds) < SOFT_LIMIT, seconds
    assert "Soft time limit" not in worker_log.read_text()


def test_a_download_stalled_past_the_soft_limit_is_given_up_alone(source, proxy, worker_log):
    proxy.slow(1, seconds=3 * SOFT_LIMIT, path=MEDIA)  # the first download stalls

    job = import_until_stopped(source, proxy)

    assert (job.status, job.error, job.imported) == ("done", "", 15)
    stalled = job.items.get(reason="media download took longer than 2 s: given up")
    assert stalled.result == "failed"
    assert_imported(job, source, but={stalled.sid})
    assert max(slice_seconds(worker_log)) < SOFT_LIMIT
    assert "Soft time limit" not in worker_log.read_text()


def test_a_slice_stopped_by_the_soft_limit_hands_the_rest_on(source, proxy, worker_log):
    # Listing the voice recordings (after the video ones) stalls past the soft limit once: a
    # wait no slice budget bounds, so the limit strikes.
    proxy.slow(1, seconds=2 * SOFT_LIMIT, path=r"/Recordings\.json$")

    job = import_until_stopped(source, proxy)

    assert (job.status, job.error, job.imported) == ("done", "", 16)
    assert_imported(job, source)
    log = worker_log.read_text()
    assert f"Soft time limit ({SOFT_LIMIT:.1f}s) exceeded for recordings.tasks.run_import" in log
    assert "the task's soft time limit ended its slice" in log
    assert len(slice_seconds(worker_log)) >= 2
