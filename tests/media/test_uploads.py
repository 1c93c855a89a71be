"""Media is stored before the short transaction that records it (recordings.media.uploads): two
uploads of one recording leave one file, an upload that loses the race removes its own, and a
process killed between the two leaves a file the drift check names."""

import logging
import wave
from pathlib import Path

import numpy as np
import pytest
from django.utils import timezone

from console.sids import new_sid
from recordings.imports import video
from recordings.imports.common import ImportRefused
from recordings.lifecycle.drift import media_drift_report
from recordings.lifecycle.exceptions import RecordingNotAwaitingMedia
from recordings.media.demo import opus_mka
from recordings.media.store import LocalMediaStore, get_media_store
from recordings.video import services
from recordings.video.choices import RecordingStatus
from recordings.video.models import Recording
from recordings.voice import services as voice_services
from recordings.voice.choices import VoiceRecordingStatus
from tests.factories import RecordingFactory

AUDIO = opus_mka(1.0)


def stored_keys() -> list[str]:
    return sorted(get_media_store().keys())


@pytest.fixture
def during_upload(monkeypatch):
    """Run ``hook`` once, right after the first file is stored and before it is recorded (or,
    with ``before=True``, right before the first file is stored)."""

    def arrange(hook, *, before: bool = False):
        save = LocalMediaStore.save
        pending = [hook]

        def save_then_hook(self, key, stream, *, account_sid):
            if before and pending:
                pending.pop()()
            size = save(self, key, stream, account_sid=account_sid)
            if pending:
                pending.pop()()
            return size

        monkeypatch.setattr(LocalMediaStore, "save", save_then_hook)

    return arrange


@pytest.fixture
def stopped_audio(account, tmp_path) -> tuple[Recording, Path]:
    """A stopped audio recording awaiting its file, and that file."""
    recording = RecordingFactory(
        track__participant__room__account=account,
        track__kind="audio",
        date_stopped=timezone.now(),
    )
    path = tmp_path / "upload.mka"
    path.write_bytes(AUDIO)
    return recording, path


def test_a_second_upload_while_the_first_is_stored_is_refused_and_leaves_one_file(
    stopped_audio, during_upload
):
    recording, path = stopped_audio
    rival = []

    def second_upload():
        with pytest.raises(RecordingNotAwaitingMedia):
            services.recording_media_ingest(recording=recording, path=path)
        rival.append("refused")

    during_upload(second_upload)
    completed = services.recording_media_ingest(recording=recording, path=path)
    assert rival == ["refused"]
    assert completed.status == RecordingStatus.COMPLETED
    assert stored_keys() == [completed.media_key]


def test_an_upload_that_another_finished_first_is_refused_as_before(stopped_audio, during_upload):
    recording, path = stopped_audio
    during_upload(
        lambda: services.recording_media_ingest(recording=recording, path=path), before=True
    )
    with pytest.raises(RecordingNotAwaitingMedia, match="is completed: it takes no more media"):
        services.recording_media_ingest(recording=recording, path=path)
    recording.refresh_from_db()
    assert recording.status == RecordingStatus.COMPLETED
    assert stored_keys() == [recording.media_key]


def test_an_upload_that_loses_the_race_removes_the_file_it_stored(stopped_audio, during_upload):
    recording, path = stopped_audio
    during_upload(lambda: services.recording_fail(recording=recording, reason="capture lost"))
    with pytest.raises(RecordingNotAwaitingMedia, match="is failed: it takes no more media"):
        services.recording_media_ingest(recording=recording, path=path)
    recording.refresh_from_db()
    assert (recording.status, recording.media_key) == (RecordingStatus.FAILED, "")
    assert stored_keys() == []


def test_a_file_that_cannot_be_removed_is_logged_and_the_answer_stays(
    stopped_audio, during_upload, monkeypatch, caplog
):
    recording, path = stopped_audio
    during_upload(lambda: services.recording_fail(recording=recording, reason="capture lost"))

    def unreachable(self, key, *, account_sid):
        raise OSError("store unreachable")

    monkeypatch.setattr(LocalMediaStore, "delete", unreachable)
    with (
        caplog.at_level(logging.WARNING, logger="recordings.media.uploads"),
        pytest.raises(RecordingNotAwaitingMedia),
    ):
        services.recording_media_ingest(recording=recording, path=path)
    assert "Could not remove unrecorded media" in caplog.text
    # Left behind, and named by the drift check.
    assert media_drift_report()["orphaned_media_sample"] == stored_keys() != []


def test_a_crash_between_upload_and_commit_leaves_a_file_the_drift_check_names(
    stopped_audio, monkeypatch
):
    recording, path = stopped_audio

    def killed(**kwargs):
        # The process dies here: nothing after the upload runs, not even the clean-up.
        raise SystemExit

    monkeypatch.setattr("recordings.video.services.recordings._media_record", killed)
    monkeypatch.setattr("recordings.media.uploads.discard", lambda *args, **kwargs: None)
    with pytest.raises(SystemExit):
        services.recording_media_ingest(recording=recording, path=path)
    recording.refresh_from_db()
    assert recording.status == RecordingStatus.PROCESSING
    report = media_drift_report(account=recording.account)
    assert report["orphaned_media_sample"] == [services.media_key_for(recording)]
    assert report["missing_media_count"] == 0


# --- voice ------------------------------------------------------------------------------------


def tone_wav(path: Path, seconds: float) -> Path:
    samples = (np.sin(np.arange(int(8000 * seconds)) * 0.3) * 8000).astype("<i2")
    with wave.open(str(path), "wb") as file:
        file.setnchannels(1)
        file.setsampwidth(2)
        file.setframerate(8000)
        file.writeframes(samples.tobytes())
    return path


@pytest.fixture
def stopped_voice(account, tmp_path):
    """A recording of an ended call awaiting its audio, 2 s of it, and 0.5 s of it."""
    call = voice_services.call_start(account=account)
    recording = voice_services.voice_recording_start(source="StartCallRecordingAPI", call=call)
    voice_services.call_end(call=call)
    return recording, tone_wav(tmp_path / "long.wav", 2), tone_wav(tmp_path / "short.wav", 0.5)


def test_a_second_voice_upload_while_the_first_is_stored_is_refused(stopped_voice, during_upload):
    recording, audio, _ = stopped_voice

    def second_upload():
        with pytest.raises(RecordingNotAwaitingMedia):
            voice_services.voice_recording_audio_ingest(recording=recording, path=audio)

    during_upload(second_upload)
    completed = voice_services.voice_recording_audio_ingest(recording=recording, path=audio)
    assert completed.status == VoiceRecordingStatus.COMPLETED
    assert completed.media_key in stored_keys()


def test_a_voice_upload_that_loses_the_race_removes_the_file_it_stored(
    stopped_voice, during_upload
):
    recording, audio, short = stopped_voice
    # Another upload, too short, made it absent while this one was stored.
    during_upload(
        lambda: voice_services.voice_recording_audio_ingest(recording=recording, path=short)
    )
    with pytest.raises(RecordingNotAwaitingMedia, match="is absent: it takes no more audio"):
        voice_services.voice_recording_audio_ingest(recording=recording, path=audio)
    recording.refresh_from_db()
    assert (recording.status, recording.media_key) == (VoiceRecordingStatus.ABSENT, "")
    assert stored_keys() == []


# --- imports ----------------------------------------------------------------------------------


def test_an_import_whose_sid_is_taken_while_its_file_is_stored_removes_the_file(
    account, other_account, tmp_path, during_upload
):
    media = tmp_path / "media.mka"
    media.write_bytes(AUDIO)
    room, participant, sid = new_sid("RM"), new_sid("PA"), new_sid("RT")
    meta = video.VideoMeta(
        sid=sid,
        status="completed",
        date_created=timezone.now(),
        source_sid=new_sid("MT"),
        room_sid=room,
        participant_sid=participant,
        track_name="audio",
        type="audio",
        codec="OPUS",
        container_format="mka",
        size=len(AUDIO),
        duration=1,
        offset=0,
    )
    # Another account's recording takes the SID after the cheap check, during the upload.
    during_upload(
        lambda: RecordingFactory(sid=sid, track__participant__room__account=other_account)
    )
    with pytest.raises(ImportRefused, match="already taken"):
        video.video_recording_write(
            account=account,
            meta=meta,
            room=video.RoomMeta(sid=room, unique_name="r"),
            participant=video.ParticipantMeta(sid=participant, identity="p"),
            media=media,
        )
    assert stored_keys() == []
    assert not Recording.objects.filter(sid=sid, account=account).exists()
