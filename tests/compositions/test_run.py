"""A composition worker's run: one claim at a time, a stale claim started over in a new file,
waiting for a room's late media, the sweeper, and failures told by callback."""

from datetime import timedelta

import av
import pytest
from django.utils import timezone

from console.services import SYSTEM
from recordings.compositions import services
from recordings.compositions.models import Composition
from recordings.compositions.services import run
from recordings.compositions.spec import spec_clean
from recordings.devtools.simulator import simulate_room
from recordings.lifecycle.models import CallbackDelivery
from recordings.lifecycle.watchdog import jobs_restart_stalled
from recordings.media.store import get_media_store
from recordings.video.models import Recording

pytestmark = pytest.mark.django_db

CALLBACK = "http://127.0.0.1:9/hooks"


@pytest.fixture
def room(account):
    room, _ = simulate_room(account=account, identities=["a", "b"], seconds=1)
    return room


def enqueued(room, **spec) -> Composition:
    """A composition created without running its task (its on-commit never fires here)."""
    spec = spec_clean(**({"audio_sources": ["*"], "status_callback": CALLBACK} | spec))
    return services.composition_create(room=room, spec=spec, actor=SYSTEM)


def events(composition) -> list[str]:
    return list(
        CallbackDelivery.objects.filter(recording_sid=composition.sid)
        .order_by("id")
        .values_list("event", flat=True)
    )


def test_a_run_makes_it_and_a_second_run_does_nothing(room):
    composition = enqueued(room)

    assert services.composition_run(sid=composition.sid) is services.Outcome.DONE
    done = Composition.objects.get(pk=composition.pk)
    assert (done.status, done.attempts, done.progress) == ("completed", 1, 100)
    assert done.media_key.endswith(f"{done.sid}-1.webm")
    assert services.composition_run(sid=composition.sid) is services.Outcome.DONE
    assert Composition.objects.get(pk=composition.pk).date_updated == done.date_updated


def test_a_fresh_claim_is_left_to_its_worker(room):
    composition = enqueued(room)
    Composition.objects.filter(pk=composition.pk).update(
        status="processing", attempts=1, date_updated=timezone.now()
    )

    assert services.composition_run(sid=composition.sid) is services.Outcome.BUSY
    assert Composition.objects.get(pk=composition.pk).attempts == 1


def test_a_stale_claim_starts_over_in_a_file_of_its_own(room, settings):
    composition = enqueued(room)
    stale = timezone.now() - timedelta(seconds=settings.JOB_STALL_SECONDS + 1)
    Composition.objects.filter(pk=composition.pk).update(
        status="processing", attempts=1, progress=40, date_updated=stale
    )

    assert services.composition_run(sid=composition.sid) is services.Outcome.DONE

    done = Composition.objects.get(pk=composition.pk)
    assert (done.status, done.attempts) == ("completed", 2)
    assert done.media_key.endswith(f"{done.sid}-2.webm")
    assert get_media_store().exists(done.media_key)


def test_a_run_taken_over_mid_way_records_nothing(room, monkeypatch):
    composition = enqueued(room)
    real = run.render_room

    def taken_over_at_half(room, spec, out, *, progress):
        def report(percent):
            if percent >= 50:  # another run has claimed it by now
                Composition.objects.filter(pk=composition.pk).update(attempts=2)
            progress(percent)

        return real(room, spec, out, progress=report)

    monkeypatch.setattr(run, "render_room", taken_over_at_half)

    assert services.composition_run(sid=composition.sid) is services.Outcome.DONE

    left = Composition.objects.get(pk=composition.pk)
    assert (left.status, left.attempts, left.media_key) == ("processing", 2, "")
    assert not list(get_media_store().keys(prefix=f"{room.account_id}/compositions"))


def test_it_waits_for_media_still_arriving_then_composes_what_came(room, settings):
    Recording.objects.filter(room=room, track_name="b-audio").update(status="processing")
    composition = enqueued(room)

    before = timezone.now()
    assert services.composition_run(sid=composition.sid) is services.Outcome.WAIT
    waiting = Composition.objects.get(pk=composition.pk)
    assert waiting.status == "enqueued"
    # Its task polls it: the watchdog does not queue another while it waits.
    assert waiting.date_updated >= before
    assert jobs_restart_stalled(now=timezone.now()) == 0

    settings.COMPOSITION_MEDIA_WAIT_SECONDS = 0
    assert services.composition_run(sid=composition.sid) is services.Outcome.DONE
    assert Composition.objects.get(pk=composition.pk).status == "completed"


def test_the_watchdog_queues_what_was_left_behind(
    room, settings, django_capture_on_commit_callbacks
):
    composition = enqueued(room)
    fresh = enqueued(room)
    old = timezone.now() - timedelta(seconds=settings.JOB_STALL_SECONDS + 1)
    Composition.objects.filter(pk=composition.pk).update(date_updated=old)

    with django_capture_on_commit_callbacks(execute=True):
        assert jobs_restart_stalled(now=timezone.now()) == 1  # runs it (eager)

    done = Composition.objects.get(pk=composition.pk)
    assert (done.status, done.restarts) == ("completed", 1)
    assert Composition.objects.get(pk=fresh.pk).status == "enqueued"


def test_the_watchdog_gives_a_lost_workers_claim_to_a_new_run(
    room, settings, django_capture_on_commit_callbacks
):
    composition = enqueued(room)
    stale = timezone.now() - timedelta(seconds=settings.JOB_STALL_SECONDS + 1)
    Composition.objects.filter(pk=composition.pk).update(
        status="processing", attempts=1, progress=40, date_updated=stale
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert jobs_restart_stalled(now=timezone.now()) == 1

    done = Composition.objects.get(pk=composition.pk)
    assert (done.status, done.attempts, done.restarts) == ("completed", 2, 1)
    assert done.media_key.endswith(f"{done.sid}-2.webm")


def test_unreadable_media_fails_it_with_a_callback(room, settings):
    recording = Recording.objects.filter(room=room, track_name="a-audio").get()
    (settings.MEDIA_ROOT / recording.media_key).write_bytes(b"not matroska at all")
    composition = enqueued(room, audio_sources=["a-audio"])

    services.composition_run(sid=composition.sid)

    failed = Composition.objects.get(pk=composition.pk)
    assert (failed.status, failed.error_message) == ("failed", "The media could not be composed")
    assert failed.date_completed is not None and failed.media_key == ""
    assert events(composition) == [
        "composition-enqueued",
        "composition-started",
        "composition-failed",
    ]


def test_progress_is_called_back_every_ten_percent(room):
    composition = enqueued(room, video_layout={"grid": {"video_sources": ["*"]}})

    services.composition_run(sid=composition.sid)

    progress = CallbackDelivery.objects.filter(
        recording_sid=composition.sid, event="composition-progress"
    ).values_list("params", flat=True)
    assert [int(p["PercentageDone"]) // 10 for p in progress] == list(range(1, 10))
    assert events(composition)[-1] == "composition-available"


def test_a_hook_that_cannot_compose_a_room_calls_its_failure_back(account, client):
    services.hook_create(
        account=account,
        friendly_name="screens",
        enabled=True,
        spec=spec_clean(
            video_layout={"screen": {"video_sources": ["screen*"]}}, status_callback=CALLBACK
        ),
        actor=SYSTEM,
    )

    room, _ = simulate_room(account=account, identities=["a"], seconds=1)

    assert not Composition.objects.filter(room=room).exists()
    failed = CallbackDelivery.objects.get(event="composition-hook-failed")
    assert failed.params["RoomSid"] == room.sid
    assert "matches" in failed.params["ErrorMessage"]


def test_the_same_room_and_spec_give_the_same_file_length_and_frames(room, settings):
    grid = {"grid": {"video_sources": ["*"]}}
    made = [enqueued(room, video_layout=grid, format="mp4") for _ in range(2)]
    shapes = []
    for composition in made:
        services.composition_run(sid=composition.sid)
        done = Composition.objects.get(pk=composition.pk)
        with av.open(str(settings.MEDIA_ROOT / done.media_key)) as container:
            frames = sum(1 for _ in container.decode(video=0))
            shapes.append((container.duration, frames, done.duration))

    assert shapes[0] == shapes[1]
