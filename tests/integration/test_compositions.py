"""Compositions on real workers: the ``compositions`` queue, and a composition worker killed
mid-way whose composition starts over and completes, never leaving a half file recorded."""

import av
import pytest

from console.services import SYSTEM
from recordings.compositions import services
from recordings.compositions.models import Composition
from recordings.compositions.spec import spec_clean
from recordings.devtools.simulator import simulate_room
from recordings.media.store import get_media_store
from recordings.video.timeline import start_seconds
from tests.helpers import wait_for
from tests.integration.conftest import (
    FAULTS_TRANSPORT,
    KillableWorker,
    purge_queue,
    start_queue_worker,
    worker_env,
)

WORKER = "compositions@roomvault-test"

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_the_session_worker_takes_the_compositions_queue(
    celery_worker, integration_settings, account
):
    room, _ = simulate_room(account=account, identities=["a", "b"], seconds=2)

    composition = services.composition_create(
        room=room, spec=spec_clean(audio_sources=["*"], format="mp4"), actor=SYSTEM
    )

    assert wait_for(
        lambda: Composition.objects.get(pk=composition.pk).status == "completed", seconds=60
    )


class CompositionWorker(KillableWorker):
    """A killable worker of the ``compositions`` queue, whose claims go stale after 2 s."""

    def start(self) -> None:
        self.process = start_queue_worker(
            self.env,
            queue="compositions",
            name=WORKER,
            transport=FAULTS_TRANSPORT,
            # Composing in a thread: the worker still answers the ping that says it is up.
            pool=("--pool", "threads", "--concurrency", "1"),
        )


@pytest.fixture
def composition_worker(django_db_setup, shared_media_root, integration_settings):
    """The compositions queue taken by a worker of this test's own: the session worker stops
    consuming it meanwhile (Celery's remote control), and takes it back after."""
    from console.celery import app

    env = worker_env(shared_media_root, JOB_STALL_SECONDS="2")
    app.control.cancel_consumer("compositions", reply=True)
    purge_queue(env, "compositions")
    worker = CompositionWorker(env)
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()
        app.control.add_consumer("compositions", reply=True)


def test_a_worker_killed_mid_composition_leaves_it_to_start_over(
    composition_worker, account, tmp_path
):
    room, recordings = simulate_room(account=account, identities=["a", "b", "c"], seconds=20)
    spec = spec_clean(
        video_layout={"grid": {"video_sources": ["*"]}},
        audio_sources=["*"],
        resolution="640x480",
        format="mp4",
    )
    composition = services.composition_create(room=room, spec=spec, actor=SYSTEM)
    assert wait_for(lambda: Composition.objects.get(pk=composition.pk).progress >= 5, seconds=60)

    composition_worker.kill()
    killed = Composition.objects.get(pk=composition.pk)
    assert (killed.status, killed.attempts, killed.media_key) == ("processing", 1, "")
    composition_worker.start()

    assert wait_for(
        lambda: Composition.objects.get(pk=composition.pk).status == "completed", seconds=240
    )
    done = Composition.objects.get(pk=composition.pk)
    assert done.attempts == 2
    assert done.media_key.endswith(f"{done.sid}-2.mp4")
    store = get_media_store()
    assert not store.exists(done.media_key.replace("-2.mp4", "-1.mp4"))
    path = tmp_path / "composed.mp4"
    with store.open(done.media_key) as media:
        path.write_bytes(media.read())
    # Trimmed to the room's media: from the first track's start to the last one's end.
    starts = [start_seconds(r) for r in recordings]
    length = max(starts) + 20 - min(starts)
    with av.open(str(path)) as container:
        assert container.duration / av.time_base == pytest.approx(length, abs=0.25)
        frames = sum(1 for _ in container.decode(video=0))
    assert frames == pytest.approx(length * 24, abs=6)
