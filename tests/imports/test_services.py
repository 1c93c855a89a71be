"""A console import's slices end inside their task's time limits: downloads in flight are waited
for a bounded time, and a slice stopped by the soft time limit keeps what it settled and hands the
rest to the next slice instead of failing the job. Run eagerly here (each slice queues the next in
place); tests/integration/test_import_slices.py runs them on a real worker."""

import tempfile

import pytest
from celery.exceptions import SoftTimeLimitExceeded

from recordings.imports import services as import_services
from recordings.imports import tasks
from recordings.imports.models import ImportJob
from recordings.imports.twilio import STILL_PROCESSING
from recordings.media.store import get_media_store
from recordings.video.models import Recording
from recordings.voice.models import VoiceRecording
from tests.helpers import wait_for
from tests.imports.jobs import start

pytestmark = pytest.mark.django_db(transaction=True)

MEDIA = r"(/Media|\.wav)$"  # a video recording's media, a voice recording's audio


@pytest.fixture
def slices(monkeypatch) -> list[str]:
    """The job's status each time a slice queues the next one (the start queues the first)."""
    seen = []
    apply_async = tasks.run_import.apply_async

    def queue(args, **options):
        seen.append(ImportJob.objects.get(pk=args[0]).status)
        return apply_async(args, **options)

    monkeypatch.setattr(tasks.run_import, "apply_async", queue)
    return seen


def assert_all_imported(job: ImportJob, source, *, but: set[str] = frozenset()) -> None:
    """Every importable recording of the source is here, media byte for byte, except ``but``."""
    inventory = source.inventory()
    failed = dict(job.items.filter(result="failed").values_list("sid", "reason"))
    assert {sid for sid, reason in failed.items() if reason == STILL_PROCESSING} == (
        inventory.sids("processing")
    )
    store = get_media_store()
    for model in (Recording, VoiceRecording):
        for ours in model.objects.filter(account=job.account).exclude(media_key=""):
            with store.open(ours.media_key) as file:
                assert file.read() == source.media_bytes(ours.sid), ours.sid
    imported = set(job.items.filter(result="imported").values_list("sid", flat=True))
    assert imported | but == set(inventory.voice_recordings) | {
        sid for sid, r in inventory.recordings.items() if r["status"] != "processing"
    }


def test_a_download_that_overruns_its_time_fails_alone_with_the_reason(
    source_server, faulty_proxy, settings, slices, tmp_path, monkeypatch
):
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(downloads))
    settings.IMPORT_DOWNLOAD_SECONDS = 1
    faulty_proxy.slow(1, seconds=6, path=MEDIA)  # the first media download stalls

    job = start(source_server, faulty_proxy.base_url)

    assert (job.status, job.error) == ("done", "")
    overran = job.items.get(reason__startswith="media download")
    assert overran.result == "failed"
    assert overran.reason == "media download took longer than 1 s: given up"
    assert not Recording.objects.filter(sid=overran.sid).exists()
    assert not VoiceRecording.objects.filter(sid=overran.sid).exists()
    assert job.imported == 15
    assert_all_imported(job, source_server, but={overran.sid})
    # The given-up download arrives later, in its thread, which deletes it: nothing is left.
    assert wait_for(lambda: not any(downloads.iterdir()), seconds=20), list(downloads.iterdir())


def test_a_soft_time_limit_ends_the_slice_and_the_next_one_finishes_the_job(
    source_server, settings, slices, monkeypatch
):
    # The limit strikes once the video recordings are settled, while the voice ones are listed.
    voice_works, struck = import_services.voice_works, []

    def strike_once(*args, **kwargs):
        if not struck:
            struck.append(True)
            raise SoftTimeLimitExceeded()
        yield from voice_works(*args, **kwargs)

    monkeypatch.setattr(import_services, "voice_works", strike_once)

    job = start(source_server, source_server.base_url)

    assert struck
    assert (job.status, job.error, job.imported) == ("done", "", 16)
    assert slices[0] == "queued" and set(slices[1:]) == {"running"}  # never failed on the way
    assert_all_imported(job, source_server)


def test_fetches_not_started_when_the_slice_ends_wait_for_the_next_slice(
    source_server, faulty_proxy, settings, slices
):
    settings.IMPORT_TASK_SECONDS = 0.2
    faulty_proxy.slow(100, seconds=0.5, path=MEDIA)

    job = start(source_server, faulty_proxy.base_url)

    assert (job.status, job.error, job.imported) == ("done", "", 16)
    assert len(slices) >= 3
    assert_all_imported(job, source_server)
