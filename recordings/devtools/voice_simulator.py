"""Run a phone call through the voice services, as a telephony platform would report it, with real
audio: two speakers taking turns, one per leg.

The call's timeline (answer, pause, resume, hang-up) is played with explicit times ending now, so
a call of any length is simulated in an instant and its pauses land where they were asked for.
"""

import tempfile
from datetime import timedelta
from pathlib import Path

from django.utils import timezone

from console.models import Account
from recordings.voice import audio, services
from recordings.voice.choices import CaptureState, PauseBehavior, RecordingSource, Trim
from recordings.voice.models import Call, VoiceRecording


def simulate_call(
    *,
    account: Account,
    seconds: float,
    dual: bool = False,
    pause_at: float | None = None,
    resume_at: float | None = None,
    pause_behavior: str = PauseBehavior.SILENCE,
    trim: str = Trim.DO_NOT_TRIM,
    status_callback: str | None = None,
    seed: int = 0,
) -> tuple[Call, VoiceRecording]:
    """Record a whole call from answer to hang-up and upload its audio; return both."""
    start = timezone.now() - timedelta(seconds=seconds)
    call = services.call_start(
        account=account, from_number="+15005550006", to_number="+15005550001", at=start
    )
    recording = services.voice_recording_start(
        call=call,
        source=RecordingSource.OUTBOUND_API,
        channels=2 if dual else 1,
        trim=trim,
        status_callback=status_callback,
        status_callback_events=["in-progress", "completed", "absent"],
        at=start,
    )
    if pause_at is not None:
        services.voice_recording_update(
            recording=recording,
            status=CaptureState.PAUSED,
            pause_behavior=pause_behavior,
            at=start + timedelta(seconds=pause_at),
        )
    if resume_at is not None:
        services.voice_recording_update(
            recording=recording,
            status=CaptureState.IN_PROGRESS,
            at=start + timedelta(seconds=resume_at),
        )
    services.call_end(call=call, at=start + timedelta(seconds=seconds))
    # The platform captures both legs whatever the recording keeps; Roomvault cuts it down.
    with tempfile.NamedTemporaryFile(suffix=".wav") as file:
        audio.write_wav(audio.speech(seconds, dual=True, seed=seed), file)
        file.flush()
        recording.refresh_from_db()
        recording = services.voice_recording_audio_ingest(recording=recording, path=Path(file.name))
    call.refresh_from_db()
    return call, recording
