"""The call simulator (``simulate_call``) and what the voice services make of the audio it
uploads: durations after pauses, two-channel calls, trimmed silence and absent recordings.

Every check measures the WAV the media store holds, decoded sample by sample.
"""

import io
import json
import shutil
from datetime import timedelta
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from recordings.media.store import get_media_store
from recordings.voice import audio, services
from recordings.voice.audio import SAMPLE_RATE, Audio
from recordings.voice.models import Call, VoiceRecording

pytestmark = pytest.mark.django_db

WINDOW = SAMPLE_RATE // 50  # 20 ms
THRESHOLD = 330  # about -40 dBFS: under this a window is silence


def simulate(*args: str) -> dict:
    out = StringIO()
    call_command("simulate_call", *args, "--json", stdout=out)
    text = out.getvalue()
    assert text.strip().count("\n") == 0, f"more than JSON printed: {text!r}"
    return json.loads(text)


def simulated(account, *args: str) -> tuple[Call, VoiceRecording]:
    result = simulate("--account", account.sid, *args)
    assert set(result) == {"call_sid", "recording_sid"}
    recording = VoiceRecording.objects.get(sid=result["recording_sid"])
    return Call.objects.get(sid=result["call_sid"]), recording


def stored(recording: VoiceRecording, tmp_path) -> Audio:
    """Decode the recording's file as the media store holds it."""
    store = get_media_store()
    assert recording.media_key and store.exists(recording.media_key)
    copy = tmp_path / f"stored-{recording.sid}.wav"
    with store.open(recording.media_key) as source, copy.open("wb") as target:
        shutil.copyfileobj(source, target)
    info = audio.info(copy)
    assert (info["format"], info["codec"], info["sample_rate"]) == ("wav", "pcm_s16le", 8000)
    return audio.decode(copy)


def api_duration(api, recording: VoiceRecording) -> str:
    """The duration the 2010-04-01 API shows for the recording."""
    response = api.get(
        f"/2010-04-01/Accounts/{recording.account_id}/Recordings/{recording.sid}.json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == recording.status
    return response.json()["duration"]


def loud(samples: np.ndarray) -> np.ndarray:
    """Return, per 20 ms window of one channel, whether it peaks at or above the threshold."""
    usable = samples[: len(samples) // WINDOW * WINDOW].reshape(-1, WINDOW).astype(np.int32)
    return np.abs(usable).max(axis=1) >= THRESHOLD


def seconds(n: float) -> int:
    return round(n * SAMPLE_RATE)


def dominant_frequency(samples: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float64)))
    spectrum[0] = 0
    return float(np.fft.rfftfreq(len(samples), 1 / SAMPLE_RATE)[spectrum.argmax()])


def platform_audio(length: float, seed: int = 0) -> Audio:
    """What the simulator uploads for a call: both legs, one speaker each."""
    return audio.speech(length, dual=True, seed=seed)


def mixed(sound: Audio) -> np.ndarray:
    return audio.downmix(sound).samples[0]


# --- the command ----------------------------------------------------------------------------------


def test_a_plain_call_of_10_seconds_is_a_10_second_recording(account, api, tmp_path):
    call, recording = simulated(account, "--seconds", "10")

    assert call.account == account
    assert call.status == "completed"
    assert (call.end_time - call.date_created) == timedelta(seconds=10)
    assert recording.call == call
    assert (recording.status, recording.capture, recording.source) == (
        "completed",
        "stopped",
        "OutboundAPI",
    )
    assert (recording.duration, recording.channels, recording.error_code) == (10, 1, None)
    assert api_duration(api, recording) == "10"
    sound = stored(recording, tmp_path)
    assert sound.samples.shape == (1, seconds(10))
    assert recording.size == get_media_store().size(recording.media_key)
    # The two speakers, mixed into the one channel, as the platform captured them.
    assert np.array_equal(sound.samples[0], mixed(platform_audio(10)))
    assert not audio.is_silent(sound)


def test_the_human_readable_line(account):
    out = StringIO()
    call_command("simulate_call", "--account", account.sid, "--seconds", "3", stdout=out)
    recording = VoiceRecording.objects.get()
    assert out.getvalue() == (
        f"Call {recording.call_id}: recording {recording.sid} completed, 3 s, 1 channel(s)\n"
    )


def test_a_skip_pause_cuts_its_span_out(account, api, tmp_path):
    _, recording = simulated(
        account,
        *("--seconds", "10", "--pause-at", "3", "--resume-at", "6"),
        *("--pause-behavior", "skip"),
    )

    assert recording.pauses == [[3.0, 6.0, "skip"]]
    assert recording.duration == 7
    assert api_duration(api, recording) == "7"
    sound = stored(recording, tmp_path)
    assert sound.samples.shape == (1, seconds(7))
    # What is left is the call before the pause followed by the call after it.
    original = mixed(platform_audio(10))
    expected = np.concatenate([original[: seconds(3)], original[seconds(6) :]])
    assert np.array_equal(sound.samples[0], expected)


def test_a_silence_pause_keeps_the_length_and_silences_its_span(account, api, tmp_path):
    _, recording = simulated(
        account,
        *("--seconds", "10", "--pause-at", "3", "--resume-at", "6"),
        *("--pause-behavior", "silence"),
    )

    assert recording.pauses == [[3.0, 6.0, "silence"]]
    assert (recording.duration, api_duration(api, recording)) == (10, "10")
    samples = stored(recording, tmp_path).samples[0]
    assert samples.shape == (seconds(10),)
    assert not samples[seconds(3) : seconds(6)].any()  # every sample of the pause is zero
    assert loud(samples[: seconds(3)]).any()  # speech before the pause…
    assert loud(samples[seconds(6) :]).any()  # …and after it
    original = mixed(platform_audio(10))
    assert np.array_equal(samples[: seconds(3)], original[: seconds(3)])
    assert np.array_equal(samples[seconds(6) :], original[seconds(6) :])


def test_a_pause_never_resumed_lasts_until_the_call_ends(account, tmp_path):
    _, recording = simulated(
        account, *("--seconds", "10", "--pause-at", "4", "--pause-behavior", "skip")
    )
    assert recording.pauses == [[4.0, 10.0, "skip"]]
    assert recording.duration == 4
    assert stored(recording, tmp_path).samples.shape == (1, seconds(4))


def test_pause_behavior_defaults_to_silence(account, tmp_path):
    _, recording = simulated(account, *("--seconds", "5", "--pause-at", "1", "--resume-at", "2"))
    assert recording.pauses == [[1.0, 2.0, "silence"]]
    assert stored(recording, tmp_path).samples.shape == (1, seconds(5))


def test_a_dual_call_has_one_speaker_per_channel(account, api, tmp_path):
    _, recording = simulated(account, "--seconds", "10", "--dual")

    assert (recording.channels, recording.duration) == (2, 10)
    sound = stored(recording, tmp_path)
    assert sound.samples.shape == (2, seconds(10))
    first, second = loud(sound.samples[0]), loud(sound.samples[1])
    # Both speak, in turns: never at once, so each channel holds one speaker alone.
    assert first.sum() > 50 and second.sum() > 50
    assert not (first & second).any()
    # Speaker A's voice is low (110-140 Hz), speaker B's high (200-240 Hz).
    low = dominant_frequency(sound.samples[0])
    high = dominant_frequency(sound.samples[1])
    assert 100 <= low <= 150, low
    assert 190 <= high <= 255, high


def test_the_seed_varies_the_call(account, tmp_path):
    _, one = simulated(account, "--seconds", "3", "--seed", "1")
    _, two = simulated(account, "--seconds", "3", "--seed", "2")
    assert not np.array_equal(stored(one, tmp_path).samples, stored(two, tmp_path).samples)


def test_trim_silence_of_a_call_that_talks_throughout_keeps_it_whole(account, tmp_path):
    _, recording = simulated(account, "--seconds", "6", "--trim", "trim-silence")
    assert (recording.trim, recording.duration) == ("trim-silence", 6)
    assert stored(recording, tmp_path).samples.shape == (1, seconds(6))


def test_a_call_paused_to_under_a_second_is_absent(account, api, settings):
    _, recording = simulated(
        account,
        *("--seconds", "1", "--pause-at", "0.5", "--pause-behavior", "skip"),
    )
    assert (recording.status, recording.error_code, recording.duration) == ("absent", 16101, 0)
    assert recording.media_key == ""
    assert not any(p.is_file() for p in Path(settings.MEDIA_ROOT).rglob("*"))
    assert api_duration(api, recording) == "0"


BAD_ARGUMENTS = {
    "unknown account": (["--account", "AC" + "0" * 32], "No account"),
    "zero seconds": (["--seconds", "0"], "--seconds"),
    "over an hour": (["--seconds", "3601"], "--seconds"),
    "resume without pause": (["--resume-at", "3"], "--resume-at needs --pause-at"),
    "resume before pause": (["--pause-at", "5", "--resume-at", "3"], "--pause-at"),
    "resume at pause": (["--pause-at", "3", "--resume-at", "3"], "--pause-at"),
    "resume at zero": (["--pause-at", "0", "--resume-at", "0"], "--pause-at"),
    "resume after the end": (["--pause-at", "3", "--resume-at", "11"], "--pause-at"),
    "pause at the end": (["--pause-at", "10"], "--pause-at"),
    "pause before the start": (["--pause-at", "-1", "--resume-at", "2"], "--pause-at"),
    "unknown pause behavior": (["--pause-behavior", "mute"], "invalid choice"),
    "unknown trim": (["--trim", "some"], "invalid choice"),
    "seconds not a number": (["--seconds", "ten"], "invalid float"),
}


@pytest.mark.parametrize("case", list(BAD_ARGUMENTS))
def test_bad_arguments_are_refused_and_nothing_is_simulated(account, case):
    extra, message = BAD_ARGUMENTS[case]
    args = ["--account", account.sid, "--seconds", "10", *extra]
    with pytest.raises(CommandError, match=message):
        call_command("simulate_call", *args, "--json", stdout=io.StringIO())
    assert not Call.objects.exists()
    assert not VoiceRecording.objects.exists()


def test_the_account_is_required():
    with pytest.raises(CommandError, match="--account"):
        call_command("simulate_call", "--json", stdout=io.StringIO())


# --- trim and absent recordings, through the services the platform's upload goes through ----------


def record_and_upload(account, sound: Audio, tmp_path, **options) -> VoiceRecording:
    """Record a call whose platform audio is ``sound``, hang up, and upload it as a WAV."""
    start = timezone.now() - timedelta(seconds=sound.duration)
    call = services.call_start(account=account, at=start)
    recording = services.voice_recording_start(call=call, source="DialVerb", at=start, **options)
    services.call_end(call=call)
    upload = tmp_path / "upload.wav"
    with upload.open("wb") as out:
        audio.write_wav(sound, out)
    recording.refresh_from_db()
    return services.voice_recording_audio_ingest(recording=recording, path=upload)


def framed(speech: Audio, *, before: float, after: float) -> Audio:
    """The speech with digital silence before and after it."""
    channels = speech.channels
    return Audio(
        np.concatenate(
            [
                np.zeros((channels, seconds(before)), dtype=np.int16),
                speech.samples,
                np.zeros((channels, seconds(after)), dtype=np.int16),
            ],
            axis=1,
        )
    )


def test_trim_silence_cuts_leading_and_trailing_silence(account, tmp_path):
    speech = audio.speech(3.0, dual=True, seed=4)
    recording = record_and_upload(
        account, framed(speech, before=1.0, after=1.0), tmp_path, trim="trim-silence"
    )

    assert (recording.status, recording.duration) == ("completed", 3)
    samples = stored(recording, tmp_path).samples[0]
    # The speech, to within the 20 ms windows silence is measured in.
    assert seconds(3) - 2 * WINDOW <= len(samples) <= seconds(3)
    assert loud(samples[:WINDOW]).all() and loud(samples[-WINDOW:]).all()


def test_do_not_trim_keeps_the_silence(account, tmp_path):
    speech = audio.speech(3.0, dual=True, seed=4)
    recording = record_and_upload(account, framed(speech, before=1.0, after=1.0), tmp_path)

    assert (recording.status, recording.duration, recording.trim) == ("completed", 5, "do-not-trim")
    samples = stored(recording, tmp_path).samples[0]
    assert len(samples) == seconds(5)
    assert not samples[: seconds(1)].any() and not samples[-seconds(1) :].any()


def test_trim_silence_of_a_silent_call_leaves_it_absent_16102(account, tmp_path, settings):
    silence = Audio(np.zeros((2, seconds(5)), dtype=np.int16))
    recording = record_and_upload(account, silence, tmp_path, trim="trim-silence")

    assert (recording.status, recording.error_code, recording.duration) == ("absent", 16102, 0)
    assert (recording.media_key, recording.size) == ("", None)
    assert not any(p.is_file() for p in Path(settings.MEDIA_ROOT).rglob("*"))


def test_line_noise_under_the_threshold_is_silence_too(account, tmp_path, settings):
    rng = np.random.default_rng(3)
    hiss = Audio(rng.integers(-100, 100, size=(2, seconds(4))).astype(np.int16))
    recording = record_and_upload(account, hiss, tmp_path, trim="trim-silence")
    assert (recording.status, recording.error_code) == ("absent", 16102)
    assert not any(p.is_file() for p in Path(settings.MEDIA_ROOT).rglob("*"))


def test_a_recording_shorter_than_a_second_is_absent_16101(account, tmp_path, settings):
    recording = record_and_upload(account, audio.speech(0.6, dual=True), tmp_path)

    assert (recording.status, recording.error_code, recording.duration) == ("absent", 16101, 0)
    assert recording.media_key == ""
    assert not any(p.is_file() for p in Path(settings.MEDIA_ROOT).rglob("*"))


def test_speech_trimmed_to_under_a_second_is_absent_16101(account, tmp_path):
    speech = audio.speech(0.5, dual=True, seed=2)
    recording = record_and_upload(
        account, framed(speech, before=2.0, after=2.0), tmp_path, trim="trim-silence"
    )
    assert (recording.status, recording.error_code) == ("absent", 16101)


def test_a_recording_of_exactly_a_second_is_kept(account, tmp_path):
    recording = record_and_upload(account, audio.speech(1.0, dual=True), tmp_path)
    assert (recording.status, recording.duration) == ("completed", 1)
    assert stored(recording, tmp_path).samples.shape == (1, SAMPLE_RATE)
