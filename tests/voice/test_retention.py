"""Retention of voice recordings: deleted ones are purged after VOICE_RECORDING_RETENTION_DAYS (40,
seed 003) while video recordings keep their 30, and their audio (the original and every cached
rendition) leaves the media store with the deletion, or with the sweep when that was lost."""

import io
import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command

from console.models import AuditEvent
from console.services import SYSTEM
from recordings.devtools.voice_simulator import simulate_call
from recordings.lifecycle import tasks
from recordings.lifecycle.exceptions import RecordingNotDeletable
from recordings.lifecycle.models import CallbackDelivery
from recordings.lifecycle.retention import recordings_media_sweep, recordings_purge
from recordings.media.store import get_media_store
from recordings.video import services as video_services
from recordings.video.models import Recording
from recordings.voice import media, services
from recordings.voice.models import Call, Transcription, VoiceRecording
from tests.factories import TranscriptionFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
CALLBACK_URL = "http://127.0.0.1:9/callbacks"  # nobody listens: deliveries just fail


def keys_of(recording: VoiceRecording) -> list[str]:
    """Every file the media store holds for the recording's account."""
    return sorted(get_media_store().keys(prefix=f"{recording.account_id}/voice/"))


@pytest.fixture
def voice_recording(account, settings):
    """Build a completed voice recording (a simulated call of 2 s) and cache its renditions."""
    settings.CALLBACK_MAX_ATTEMPTS = 1

    def make(*, dual: bool = False, renditions: bool = True, **kwargs) -> VoiceRecording:
        _, recording = simulate_call(
            account=kwargs.pop("account", account), seconds=2, dual=dual, **kwargs
        )
        assert recording.status == "completed"
        if renditions:
            # What downloads leave behind: every format and channel count that differs from the
            # stored WAV, transcoded once and kept beside it.
            for format, channels in [("mp3", 1), ("mp3", 2), ("wav", 1), ("wav", 2)]:
                media.rendition(recording, format=format, channels=channels)
        return recording

    return make


@pytest.fixture
def deleted_voice(voice_recording, django_capture_on_commit_callbacks):
    """A voice recording deleted at ``at``; its audio is removed unless told."""

    def make(at: datetime = T0, *, media_deleted: bool = True, **kwargs) -> VoiceRecording:
        recording = voice_recording(**kwargs)
        with time_machine.travel(at, tick=False):
            if media_deleted:
                with django_capture_on_commit_callbacks(execute=True):
                    assert services.voice_recording_delete(recording=recording, actor=SYSTEM)
            else:
                # The deletion task is queued on commit, which never comes inside a test: the
                # audio stays, as when the task was lost.
                assert services.voice_recording_delete(recording=recording, actor=SYSTEM)
        recording.refresh_from_db()
        return recording

    return make


@pytest.fixture
def deleted_video(make_completed_recording, django_capture_on_commit_callbacks):
    def make(at: datetime = T0) -> Recording:
        recording = make_completed_recording()
        with time_machine.travel(at, tick=False), django_capture_on_commit_callbacks(execute=True):
            video_services.recording_delete(recording=recording, actor=SYSTEM)
        recording.refresh_from_db()
        assert recording.media_key == ""
        return recording

    return make


def _exists(recording) -> bool:
    return type(recording).objects.filter(pk=recording.pk).exists()


# --- the purge: 40 days for voice, 30 for video ---------------------------------------------------


def test_a_deleted_voice_recording_is_purged_after_40_days_not_30(deleted_voice, deleted_video):
    voice = deleted_voice(status_callback=CALLBACK_URL)
    video = deleted_video()
    assert CallbackDelivery.objects.filter(recording_sid=voice.sid).exists()

    assert recordings_purge(now=T0 + 31 * DAY) == 1
    assert not _exists(video)
    assert _exists(voice)
    assert recordings_purge(now=T0 + 39 * DAY) == 0
    assert _exists(voice)

    assert recordings_purge(now=T0 + 41 * DAY) == 1
    assert not _exists(voice)
    assert not CallbackDelivery.objects.filter(recording_sid=voice.sid).exists()
    # The call it recorded stays: only the recording's metadata had a retention.
    assert Call.objects.filter(sid=voice.call_id).exists()


def test_the_voice_boundary_is_exactly_40_days(deleted_voice):
    recording = deleted_voice()
    assert recordings_purge(now=T0 + 40 * DAY - timedelta(microseconds=1)) == 0
    assert _exists(recording)
    assert recordings_purge(now=T0 + 40 * DAY) == 1
    assert not _exists(recording)


@pytest.mark.parametrize("days", [40, 7])
def test_the_voice_retention_follows_its_own_setting(deleted_voice, deleted_video, settings, days):
    settings.VOICE_RECORDING_RETENTION_DAYS = days
    settings.RECORDING_RETENTION_DAYS = 30
    voice, video = deleted_voice(), deleted_video()
    assert recordings_purge(now=T0 + days * DAY) == 1 + (days >= 30)
    assert not _exists(voice)
    assert _exists(video) == (days < 30)


def test_the_purge_is_audited_as_voice_recordings(deleted_voice, deleted_video):
    deleted_voice()
    deleted_voice()
    deleted_video()
    assert recordings_purge(now=T0 + 41 * DAY) == 3
    reprs = sorted(e.object_repr for e in AuditEvent.objects.filter(action="recordings.purge"))
    assert reprs == [
        "1 deleted recording purged after 30 days",
        "2 deleted voice recordings purged after 40 days",
    ]


def test_the_purge_takes_the_recordings_transcriptions_with_it(deleted_voice):
    recording = deleted_voice()
    TranscriptionFactory(recording=recording, date_created=T0)
    assert recordings_purge(now=T0 + 41 * DAY) == 1
    assert not Transcription.objects.exists()


def test_only_deleted_voice_recordings_are_purged(deleted_voice, voice_recording):
    completed = voice_recording()
    expired = deleted_voice()
    assert recordings_purge(now=T0 + 400 * DAY) == 1
    assert not _exists(expired)
    completed.refresh_from_db()
    assert completed.status == "completed"
    assert get_media_store().exists(completed.media_key)


def test_an_absent_recording_cannot_be_deleted(account):
    _, recording = simulate_call(account=account, seconds=1, pause_at=0.5, pause_behavior="skip")
    assert recording.status == "absent"
    with pytest.raises(RecordingNotDeletable):
        services.voice_recording_delete(recording=recording, actor=SYSTEM)
    recording.refresh_from_db()
    assert (recording.status, recording.date_deleted) == ("absent", None)


# --- the audio: original and renditions -----------------------------------------------------------


@pytest.mark.parametrize("dual", [False, True], ids=["mono", "dual"])
def test_deleting_removes_the_original_and_every_cached_rendition(
    voice_recording, django_capture_on_commit_callbacks, dual
):
    recording = voice_recording(dual=dual)
    store = get_media_store()
    sid, account = recording.sid, recording.account_id
    original = f"{account}/voice/{sid}.wav"
    expected = {original} | {
        f"{account}/voice/{sid}.{c}ch.{f}"
        for f, c in [("mp3", 1), ("mp3", 2), ("wav", 1), ("wav", 2)]
        if (f, c) != ("wav", recording.channels)
    }
    assert set(keys_of(recording)) == expected
    assert len(expected) == 4

    with django_capture_on_commit_callbacks(execute=True):
        services.voice_recording_delete(recording=recording, actor=SYSTEM)

    assert keys_of(recording) == []
    assert not store.exists(original)
    recording.refresh_from_db()
    assert (recording.status, recording.media_key) == ("deleted", "")
    assert recording.date_deleted is not None


def test_the_deletion_task_is_idempotent(deleted_voice):
    recording = deleted_voice(media_deleted=False)
    assert len(keys_of(recording)) == 4
    tasks.delete_recordings_media.delay([recording.sid])
    tasks.delete_recordings_media.delay([recording.sid])
    recording.refresh_from_db()
    assert recording.media_key == ""
    assert keys_of(recording) == []


def test_one_task_deletes_voice_and_video_media_together(deleted_voice, make_completed_recording):
    voice = deleted_voice(media_deleted=False)
    video = make_completed_recording()
    video_services.recording_delete(recording=video, actor=SYSTEM)  # task lost: media stays
    video_key = Recording.objects.get(pk=video.pk).media_key
    assert get_media_store().exists(video_key)

    tasks.delete_recordings_media.delay([video.sid, voice.sid])

    assert keys_of(voice) == []
    assert not get_media_store().exists(video_key)
    assert VoiceRecording.objects.get(pk=voice.pk).media_key == ""
    assert Recording.objects.get(pk=video.pk).media_key == ""


def test_the_task_leaves_recordings_that_are_not_deleted_alone(voice_recording):
    recording = voice_recording()
    before = keys_of(recording)
    tasks.delete_recordings_media.delay([recording.sid])
    assert keys_of(recording) == before
    assert VoiceRecording.objects.get(pk=recording.pk).media_key == recording.media_key


# --- the sweep and the purge re-queue what is still stored --------------------------------------


def test_the_sweep_requeues_voice_recordings_whose_media_remains(deleted_voice, settings):
    settings.MEDIA_SWEEP_GRACE_SECONDS = 300
    lost = deleted_voice(media_deleted=False)
    done = deleted_voice()
    assert len(keys_of(lost)) == 4  # the original and three renditions

    assert recordings_media_sweep(now=T0 + timedelta(seconds=299)) == 0
    assert len(keys_of(lost)) == 4

    assert recordings_media_sweep(now=T0 + timedelta(seconds=300)) == 1
    assert keys_of(lost) == []
    lost.refresh_from_db()
    assert lost.media_key == ""
    assert _exists(lost) and _exists(done)
    assert recordings_media_sweep(now=T0 + DAY) == 0


def test_the_sweep_queues_voice_and_video_alike(
    deleted_voice, make_completed_recording, monkeypatch
):
    voice = deleted_voice(media_deleted=False)
    video = make_completed_recording()
    with time_machine.travel(T0, tick=False):
        video_services.recording_delete(recording=video, actor=SYSTEM)
    queued = []
    monkeypatch.setattr(tasks.delete_recordings_media, "delay", queued.append)

    assert recordings_media_sweep(now=T0 + DAY) == 2
    assert sorted(sid for batch in queued for sid in batch) == sorted([voice.sid, video.sid])


def test_a_voice_recording_with_media_is_skipped_by_the_purge_and_requeued(deleted_voice):
    recording = deleted_voice(media_deleted=False)
    assert recordings_purge(now=T0 + 41 * DAY) == 0  # eager: the re-queued deletion runs now
    recording.refresh_from_db()
    assert recording.media_key == ""
    assert keys_of(recording) == []
    assert recordings_purge(now=T0 + 41 * DAY) == 1
    assert not _exists(recording)


def test_the_daily_tasks_purge_and_sweep_voice_recordings(deleted_voice):
    expired = deleted_voice()
    pending = deleted_voice(T0 + 41 * DAY - timedelta(minutes=20), media_deleted=False)
    with time_machine.travel(T0 + 41 * DAY, tick=False):
        tasks.sweep_deleted_media.delay()
        tasks.purge_expired_recordings.delay()
    assert not _exists(expired)
    pending.refresh_from_db()
    assert pending.media_key == ""
    assert keys_of(pending) == []


# --- the command ----------------------------------------------------------------------------------


def _command(*args: str) -> str:
    out = io.StringIO()
    call_command("purge_recordings", *args, stdout=out)
    return out.getvalue()


def test_dry_run_counts_both_kinds(deleted_voice, deleted_video):
    deleted_voice()
    deleted_video()
    deleted_voice(media_deleted=False)  # not purgeable until its audio is gone

    with time_machine.travel(T0 + 31 * DAY, tick=False):
        assert json.loads(_command("--dry-run", "--json")) == {"purged": 1}
        assert json.loads(_command("--dry-run", "--as-of", "2026-04-10T12:00:00Z", "--json")) == {
            "purged": 2
        }
        assert _command("--dry-run", "--as-of", "2026-04-10T12:00:00Z") == (
            "2 deleted recordings would be purged as of 2026-04-10T12:00:00+00:00\n"
        )
    # Counting changed nothing.
    assert VoiceRecording.objects.filter(status="deleted").count() == 2
    assert Recording.objects.filter(status="deleted").count() == 1
    assert not AuditEvent.objects.filter(action="recordings.purge").exists()

    with time_machine.travel(T0 + 41 * DAY, tick=False):
        assert json.loads(_command("--json")) == {"purged": 2}
    assert VoiceRecording.objects.filter(status="deleted").count() == 1
    assert not Recording.objects.exists()


def test_renditions_finished_after_the_deletion_are_removed_too(voice_recording):
    recording = voice_recording(dual=True, renditions=False)
    for key in keys_of(recording):
        if key != recording.media_key:
            get_media_store().delete(key, account_sid=recording.account_id)
    stale = VoiceRecording.objects.get(pk=recording.pk)  # as a slow transcoder loaded it
    media.renditions_make(stale)
    made = keys_of(stale)
    assert len(made) == 4  # the original, MP3 in 1 and 2 channels, WAV in 1
    for key in made:
        if key != recording.media_key:
            get_media_store().delete(key, account_sid=recording.account_id)
    # Deleted meanwhile (the media deletion runs after commit, and may run before or after the
    # transcoder saves): the renditions it saves must not outlive the check that follows.
    VoiceRecording.objects.filter(pk=recording.pk).update(status="deleted")
    media.renditions_make(stale)
    assert keys_of(stale) == [stale.media_key]
