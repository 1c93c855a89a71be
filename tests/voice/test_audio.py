"""recordings.voice.audio on real audio: decode, pauses, trim, tracks, encoding, fake speech."""

import io
import math
import wave

import av
import numpy as np
import pytest

from recordings.media import demo
from recordings.voice import audio
from recordings.voice.audio import SAMPLE_RATE, Audio, InvalidAudio

THRESHOLD = 330  # about -40 dBFS: the silence threshold the module documents


def wav_of(sound: Audio) -> bytes:
    """Return the audio as the WAV write_wav makes of it."""
    out = io.BytesIO()
    audio.write_wav(sound, out)
    return out.getvalue()


def encoded(sound: Audio, format: str) -> bytes:
    """Return the audio encoded in a format."""
    out = io.BytesIO()
    audio.encode(sound, format=format, out=out)
    return out.getvalue()


def pyav_file(samples: np.ndarray, *, rate: int, layout: str, format: str, codec: str) -> bytes:
    """Return a file PyAV writes of int16 planar samples, independently of the module."""
    out = io.BytesIO()
    with av.open(out, mode="w", format=format) as container:
        stream = container.add_stream(codec, rate=rate, layout=layout)
        frame = av.AudioFrame.from_ndarray(samples, format="s16p", layout=layout)
        frame.sample_rate = rate
        frame.pts = 0
        container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return out.getvalue()


def tone(seconds: float, frequency: float, *, rate: int = SAMPLE_RATE) -> np.ndarray:
    """Return a sine tone at -10 dBFS as int16."""
    t = np.arange(round(seconds * rate)) / rate
    return np.round(10_000 * np.sin(2 * math.pi * frequency * t)).astype(np.int16)


def loud(samples: np.ndarray) -> np.ndarray:
    """Return, per 20 ms window of one channel, whether it peaks above the silence threshold."""
    windows = samples[: len(samples) // 160 * 160].reshape(-1, 160).astype(np.int32)
    return np.abs(windows).max(axis=1) >= THRESHOLD


def dominant_frequency(samples: np.ndarray, rate: int) -> float:
    """Return the strongest frequency in a signal."""
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float64)))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[spectrum.argmax()])


def quiet(seconds: float, channels: int = 1, *, noise: int = 0, seed: int = 0) -> np.ndarray:
    """Return silence, or line noise below the threshold, as int16 (channels, n)."""
    n = round(seconds * SAMPLE_RATE)
    rng = np.random.default_rng(seed)
    return rng.integers(-noise, noise + 1, size=(channels, n)).astype(np.int16)


# --- decode ------------------------------------------------------------------------------------


@pytest.mark.parametrize("dual", [False, True])
def test_decode_of_a_written_wav_keeps_samples_and_channels(tmp_path, dual):
    sound = audio.speech(3, dual=dual, seed=1)
    path = tmp_path / "call.wav"
    path.write_bytes(wav_of(sound))

    back = audio.decode(path)

    assert back.channels == sound.channels == (2 if dual else 1)
    assert back.sample_rate == SAMPLE_RATE
    assert back.samples.dtype == np.int16
    assert np.array_equal(back.samples, sound.samples)


@pytest.mark.parametrize("dual", [False, True])
def test_decode_of_an_mp3_gives_the_speech_back(tmp_path, dual):
    sound = audio.speech(4, dual=dual, seed=2)
    path = tmp_path / "call.mp3"
    path.write_bytes(encoded(sound, "mp3"))

    back = audio.decode(path)

    assert back.channels == sound.channels
    assert abs(back.duration - sound.duration) < 0.1
    # Lossy, but the same speech: where each channel talks survives the round trip.
    for channel in range(sound.channels):
        n = min(back.samples.shape[1], sound.samples.shape[1])
        agree = loud(back.samples[channel, :n]) == loud(sound.samples[channel, :n])
        assert agree.mean() > 0.95


def test_decode_of_opus_in_matroska_resamples_48_khz_to_8_khz(tmp_path):
    path = tmp_path / "track.mka"
    path.write_bytes(demo.opus_mka(2))

    back = audio.decode(path)

    assert back.sample_rate == SAMPLE_RATE
    assert back.channels == 1
    assert abs(back.duration - 2) < 0.03
    assert abs(dominant_frequency(back.samples[0], SAMPLE_RATE) - 440) < 2


def test_decode_of_a_16_khz_stereo_wav_keeps_its_two_channels_apart(tmp_path):
    left = tone(1.5, 300, rate=16_000)
    samples = np.stack([left, np.zeros_like(left)])
    path = tmp_path / "stereo.wav"
    path.write_bytes(
        pyav_file(samples, rate=16_000, layout="stereo", format="wav", codec="pcm_s16le")
    )

    back = audio.decode(path)

    assert back.channels == 2
    assert back.samples.shape[1] == 12_000  # 1.5 s at 8 kHz
    assert abs(dominant_frequency(back.samples[0], SAMPLE_RATE) - 300) < 2
    assert np.abs(back.samples[0]).max() > 9_000
    assert np.abs(back.samples[1]).max() == 0


def six_channels() -> bytes:
    """Return a 5.1 WAV: audio, but more channels than a call has."""
    samples = np.tile(tone(0.5, 200), (6, 1))
    return pyav_file(samples, rate=SAMPLE_RATE, layout="5.1", format="wav", codec="pcm_s16le")


def wav_cut(keep) -> bytes:
    """Return a mono speech WAV cut to a length computed from its bytes."""
    data = wav_of(audio.speech(2, dual=False))
    return data[: keep(data)]


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda: b"this is not audio, just some text\n" * 40, "not audio we can read"),
        (lambda: np.random.default_rng(3).bytes(4096), "not audio we can read"),
        (lambda: b"", "empty"),
        (lambda: wav_cut(lambda data: data.index(b"data") + 8), "no audio samples"),
        (lambda: wav_cut(lambda data: 30), "not audio we can read"),
        (lambda: wav_cut(lambda data: len(data) // 2), "truncated"),
        (lambda: demo.opus_mka(3)[:3000], "truncated"),
        (six_channels, "6 channels"),
        (lambda: demo.vp8_mkv(1), "no audio stream (it holds video)"),
    ],
    ids=[
        "text",
        "random-bytes",
        "empty",
        "wav-header-only",
        "wav-half-header",
        "wav-cut-in-half",
        "mka-cut-short",
        "six-channels",
        "video-only",
    ],
)
def test_decode_refuses_what_is_not_a_whole_call_recording(tmp_path, make, reason):
    path = tmp_path / "upload"
    path.write_bytes(make())

    with pytest.raises(InvalidAudio) as caught:
        audio.decode(path)

    assert reason in caught.value.reason
    assert str(caught.value) == caught.value.reason


def test_decode_refuses_a_missing_file(tmp_path):
    with pytest.raises(InvalidAudio):
        audio.decode(tmp_path / "nowhere.wav")


# --- apply_pauses ------------------------------------------------------------------------------


@pytest.fixture
def call() -> Audio:
    return audio.speech(5, dual=True, seed=4)


def at(seconds: float) -> int:
    return round(seconds * SAMPLE_RATE)


def test_a_skip_pause_cuts_out_exactly_its_span(call):
    cut = audio.apply_pauses(call, [(1.0, 2.5, "skip")])

    assert cut.samples.shape == (2, call.samples.shape[1] - at(1.5))
    expected = np.concatenate([call.samples[:, : at(1)], call.samples[:, at(2.5) :]], axis=1)
    assert np.array_equal(cut.samples, expected)


def test_a_silence_pause_zeroes_its_span_and_leaves_the_rest(call):
    quietened = audio.apply_pauses(call, [(1.0, 2.5, "silence")])

    assert quietened.samples.shape == call.samples.shape
    assert not quietened.samples[:, at(1) : at(2.5)].any()
    assert np.array_equal(quietened.samples[:, : at(1)], call.samples[:, : at(1)])
    assert np.array_equal(quietened.samples[:, at(2.5) :], call.samples[:, at(2.5) :])
    assert call.samples[:, at(1) : at(2.5)].any()  # the original is left alone


def test_overlapping_skips_cut_their_union_once(call):
    cut = audio.apply_pauses(call, [(1.0, 2.5, "skip"), (2.0, 3.0, "skip")])

    expected = np.concatenate([call.samples[:, : at(1)], call.samples[:, at(3) :]], axis=1)
    assert np.array_equal(cut.samples, expected)


def test_unsorted_spans_are_all_measured_on_the_original_timeline(call):
    cut = audio.apply_pauses(call, [(3.0, 3.5, "skip"), (2.0, 2.5, "silence"), (0.5, 1.0, "skip")])

    expected = call.samples.copy()
    expected[:, at(2) : at(2.5)] = 0
    expected = np.concatenate(
        [expected[:, : at(0.5)], expected[:, at(1) : at(3)], expected[:, at(3.5) :]], axis=1
    )
    assert np.array_equal(cut.samples, expected)
    assert cut.duration == pytest.approx(4.0)


@pytest.mark.parametrize("end", [None, 5.0, 99.0])
def test_a_span_to_or_past_the_end_stops_at_the_end(call, end):
    cut = audio.apply_pauses(call, [(4.0, end, "skip")])
    quietened = audio.apply_pauses(call, [(4.0, end, "silence")])

    assert np.array_equal(cut.samples, call.samples[:, : at(4)])
    assert quietened.samples.shape == call.samples.shape
    assert not quietened.samples[:, at(4) :].any()


def test_spans_outside_the_audio_change_nothing(call):
    same = audio.apply_pauses(
        call, [(-2.0, 0.0, "skip"), (6.0, 7.0, "skip"), (7.0, None, "silence")]
    )

    assert np.array_equal(same.samples, call.samples)


def test_an_unknown_pause_behavior_is_refused(call):
    with pytest.raises(ValueError, match="behavior"):
        audio.apply_pauses(call, [(1.0, 2.0, "mute")])


# --- trim_silence and is_silent ----------------------------------------------------------------


@pytest.mark.parametrize("noise", [0, 200])
def test_trim_silence_cuts_leading_and_trailing_silence(noise):
    talk = audio.speech(2, dual=True, seed=5)
    padded = Audio(
        np.concatenate(
            [quiet(1, 2, noise=noise), talk.samples, quiet(1.5, 2, noise=noise, seed=1)], axis=1
        )
    )

    trimmed = audio.trim_silence(padded)

    assert trimmed.channels == 2
    assert abs(trimmed.duration - 2.0) <= 0.02
    assert np.array_equal(trimmed.samples, talk.samples)


def test_trim_silence_of_only_silence_is_empty():
    trimmed = audio.trim_silence(Audio(quiet(3, 2, noise=200)))

    assert trimmed.samples.shape == (2, 0)
    assert trimmed.duration == 0


def test_is_silent_tells_silence_and_line_noise_from_sound():
    burst = quiet(2)
    burst[0, 8_000:8_160] = tone(0.02, 400) // 10  # one 20 ms window at about -30 dBFS

    assert audio.is_silent(Audio(quiet(2)))
    assert audio.is_silent(Audio(quiet(2, 2, noise=200)))
    assert audio.is_silent(Audio(quiet(0)))
    assert not audio.is_silent(Audio(burst))
    assert not audio.is_silent(audio.speech(1, dual=False))


# --- select_track and downmix ------------------------------------------------------------------


def speaker_windows(call: Audio) -> tuple[np.ndarray, np.ndarray]:
    """Return the windows where only A (channel 0) talks and where only B (channel 1) talks."""
    a, b = loud(call.samples[0]), loud(call.samples[1])
    return a & ~b, b & ~a


def test_both_in_two_channels_keeps_both_channels(call):
    kept = audio.select_track(call, track="both", channels=2)

    assert kept.channels == 2
    assert np.array_equal(kept.samples, call.samples)


def test_both_in_one_channel_is_a_mix_of_both_speakers(call):
    mixed = audio.select_track(call, track="both", channels=1)

    assert mixed.channels == 1
    assert mixed.samples.shape[1] == call.samples.shape[1]
    only_a, only_b = speaker_windows(call)
    assert only_a.any() and only_b.any()
    heard = loud(mixed.samples[0])
    assert heard[only_a].all()
    assert heard[only_b].all()


@pytest.mark.parametrize(("track", "speaker"), [("inbound", 0), ("outbound", 1)])
def test_one_leg_is_that_channel_alone(call, track, speaker):
    for channels in (1, 2):
        leg = audio.select_track(call, track=track, channels=channels)

        assert leg.channels == 1
        assert np.array_equal(leg.samples[0], call.samples[speaker])
        talks, other_talks = speaker_windows(call)[speaker], speaker_windows(call)[1 - speaker]
        assert loud(leg.samples[0])[talks].all()
        assert not loud(leg.samples[0])[other_talks].any()


@pytest.mark.parametrize("track", ["inbound", "outbound", "both"])
def test_a_mixed_upload_stays_one_channel_whatever_the_track(track):
    mixed = audio.speech(2, dual=False)

    for channels in (1, 2):
        kept = audio.select_track(mixed, track=track, channels=channels)

        assert kept.channels == 1
        assert np.array_equal(kept.samples, mixed.samples)


def test_select_track_refuses_unknown_tracks_and_channel_counts(call):
    with pytest.raises(ValueError):
        audio.select_track(call, track="sideways", channels=1)
    with pytest.raises(ValueError):
        audio.select_track(call, track="both", channels=3)


def test_downmix_averages_the_channels_and_leaves_mono_alone():
    left, right = tone(1, 300), tone(1, 500)
    mixed = audio.downmix(Audio(np.stack([left, right])))
    mono = Audio(left[None])

    assert mixed.channels == 1
    expected = (left.astype(np.int32) + right) / 2
    assert np.abs(mixed.samples[0] - expected).max() <= 1
    assert audio.downmix(mono) is mono


# --- encode ------------------------------------------------------------------------------------


@pytest.mark.parametrize("dual", [False, True])
def test_wav_is_8_khz_16_bit_pcm_with_the_audio_channels(dual):
    sound = audio.speech(2.5, dual=dual, seed=6)

    data = encoded(sound, "wav")

    with wave.open(io.BytesIO(data)) as parsed:
        assert parsed.getframerate() == 8000
        assert parsed.getsampwidth() == 2
        assert parsed.getnchannels() == sound.channels
        assert parsed.getnframes() == sound.samples.shape[1]
        frames = parsed.readframes(parsed.getnframes())
    assert frames == sound.samples.T.astype("<i2").tobytes()  # interleaved s16le
    assert audio.info(data) == {
        "format": "wav",
        "codec": "pcm_s16le",
        "channels": sound.channels,
        "sample_rate": 8000,
        "duration": pytest.approx(2.5),
        "bit_rate": 128_000 * sound.channels,
    }


@pytest.mark.parametrize("dual", [False, True])
def test_mp3_is_32_kbps_with_the_audio_channels(dual):
    sound = audio.speech(6, dual=dual, seed=7)

    data = encoded(sound, "mp3")

    assert data[:3] == b"ID3" or (data[0] == 0xFF and data[1] & 0xE0 == 0xE0)
    described = audio.info(data)
    assert described["format"] == "mp3"
    assert described["codec"] == "mp3"
    assert described["channels"] == sound.channels
    assert described["sample_rate"] == 8000
    assert abs(described["bit_rate"] - 32_000) <= 3_200
    assert abs(described["duration"] - sound.duration) < 0.1


def test_an_empty_audio_is_a_valid_empty_wav():
    data = encoded(Audio(np.zeros((2, 0), dtype=np.int16)), "wav")

    with wave.open(io.BytesIO(data)) as parsed:
        assert (parsed.getnchannels(), parsed.getframerate(), parsed.getnframes()) == (2, 8000, 0)


def test_encode_writes_to_an_open_file(tmp_path):
    sound = audio.speech(1, dual=True)
    path = tmp_path / "call.mp3"

    with path.open("wb") as out:
        audio.encode(sound, format="mp3", out=out)

    assert audio.info(path)["channels"] == 2
    assert audio.decode(path).channels == 2


def test_encode_refuses_an_unknown_format():
    with pytest.raises(ValueError, match="format"):
        audio.encode(audio.speech(1, dual=False), format="ogg", out=io.BytesIO())


# --- speech ------------------------------------------------------------------------------------


def test_speech_is_the_same_for_a_seed_and_differs_for_another():
    first = audio.speech(4, dual=True, seed=11)

    assert np.array_equal(first.samples, audio.speech(4, dual=True, seed=11).samples)
    assert not np.array_equal(first.samples, audio.speech(4, dual=True, seed=12).samples)


@pytest.mark.parametrize("seconds", [0.5, 3.7, 12.345])
def test_speech_lasts_exactly_as_asked(seconds):
    for dual in (False, True):
        sound = audio.speech(seconds, dual=dual)

        assert sound.samples.shape == (2 if dual else 1, round(seconds * SAMPLE_RATE))
        assert sound.sample_rate == SAMPLE_RATE


def test_speech_mixed_is_the_two_legs_on_one_channel():
    dual = audio.speech(8, dual=True, seed=3)
    mixed = audio.speech(8, dual=False, seed=3)

    assert mixed.channels == 1
    assert np.array_equal(mixed.samples[0], dual.samples[0] + dual.samples[1])


@pytest.mark.parametrize("seed", range(5))
def test_speech_takes_turns_at_a_speaking_level(seed):
    sound = audio.speech(10, dual=True, seed=seed)

    only_a, only_b = speaker_windows(sound)
    assert only_a.sum() > 25 and only_b.sum() > 25  # at least half a second each
    assert not (loud(sound.samples[0]) & loud(sound.samples[1])).any()
    peak_dbfs = 20 * math.log10(np.abs(sound.samples.astype(np.int32)).max() / 32768)
    assert -13 < peak_dbfs < -8


@pytest.mark.parametrize("seed", range(5))
def test_speech_starts_and_ends_talking(seed):
    for seconds in (2, 7.3):
        sound = audio.speech(seconds, dual=False, seed=seed)

        assert loud(sound.samples[0][: at(0.3)]).any()
        assert loud(sound.samples[0][-at(0.3) :]).any()
        assert audio.trim_silence(sound).duration >= seconds - 0.02


def test_audio_holds_int16_in_one_or_two_channels():
    with pytest.raises(ValueError):
        Audio(np.zeros((3, 10), dtype=np.int16))
    with pytest.raises(ValueError):
        Audio(np.zeros((1, 10), dtype=np.float32))
    assert Audio(np.zeros((2, 4000), dtype=np.int16)).duration == 0.5


def test_decode_refuses_audio_longer_than_its_limit(tmp_path):
    path = tmp_path / "long.wav"
    with path.open("wb") as out:
        audio.write_wav(audio.speech(3, dual=False), out)
    assert audio.decode(path, max_seconds=3).duration == pytest.approx(3)
    with pytest.raises(audio.InvalidAudio, match="longer than"):
        audio.decode(path, max_seconds=2)


# --- cut and transcode: the same steps a chunk at a time --------------------------------------


@pytest.fixture
def padded_call_wav(tmp_path):
    """A dual call with silence around it, as a WAV file (FFmpeg decodes it in many chunks)."""
    talk = audio.speech(6, dual=True, seed=8)
    padded = Audio(np.concatenate([quiet(1.3, 2), talk.samples, quiet(0.9, 2)], axis=1))
    path = tmp_path / "padded.wav"
    path.write_bytes(wav_of(padded))
    return path


@pytest.mark.parametrize("trim", [False, True])
@pytest.mark.parametrize(
    ("track", "channels"), [("both", 2), ("both", 1), ("inbound", 1), ("outbound", 2)]
)
def test_cut_writes_what_the_whole_audio_steps_make(
    padded_call_wav, tmp_path, track, channels, trim
):
    # Spans that start and end within chunks, overlap, and run past the end.
    pauses = [
        (0.3337, 1.2, "skip"),
        (2.0, 2.77, "silence"),
        (2.5, 3.01, "skip"),
        (7.7, None, "skip"),
    ]
    whole = audio.select_track(audio.decode(padded_call_wav), track=track, channels=channels)
    whole = audio.apply_pauses(whole, pauses)
    expected = audio.trim_silence(whole) if trim else whole
    out = tmp_path / "cut.wav"

    with out.open("wb") as file:
        kept = audio.cut(
            padded_call_wav, file, track=track, channels=channels, pauses=pauses, trim=trim
        )

    assert np.array_equal(audio.decode(out).samples, expected.samples)
    assert (kept.channels, kept.duration) == (expected.channels, expected.duration)
    assert kept.had_sound


def test_cut_of_silence_says_nothing_was_heard_and_writes_an_empty_wav(tmp_path):
    path = tmp_path / "silence.wav"
    path.write_bytes(wav_of(Audio(quiet(3, 2, noise=200))))
    out = io.BytesIO()

    kept = audio.cut(path, out, track="both", channels=2, pauses=[], trim=True)

    assert (kept.duration, kept.channels, kept.had_sound) == (0, 2, False)
    with wave.open(io.BytesIO(out.getvalue())) as parsed:
        assert (parsed.getnchannels(), parsed.getnframes()) == (2, 0)


@pytest.mark.parametrize("channels", [1, 2])
def test_transcode_is_the_encoding_of_the_whole_audio(padded_call_wav, tmp_path, channels):
    whole = audio.decode(padded_call_wav)
    expected = audio.downmix(whole) if channels == 1 else whole
    out = tmp_path / "rendition.wav"

    with out.open("wb") as file:
        audio.transcode(padded_call_wav, file, format="wav", channels=channels)

    assert np.array_equal(audio.decode(out).samples, expected.samples)
    assert audio.measure(out) == (channels, pytest.approx(whole.duration))


@pytest.mark.parametrize(
    ("format", "codec", "rate"),
    [
        ("flac", "flac", 8000),
        ("ogg", "libopus", 48000),
        ("mp4", "aac", 16000),
        ("adts", "aac", 16000),
    ],
)
def test_decode_takes_the_audio_containers_a_platform_may_send(tmp_path, format, codec, rate):
    # The demuxers are an allowlist: each container a platform records in must stay on it.
    samples = np.tile(tone(2, 300, rate=rate), (2, 1))
    path = tmp_path / "call"
    path.write_bytes(pyav_file(samples, rate=rate, layout="stereo", format=format, codec=codec))

    back = audio.decode(path)

    assert back.channels == 2
    # AAC in ADTS has no edit list to drop its encoder's priming (~0.1 s).
    assert abs(back.duration - 2) < 0.15
    assert abs(dominant_frequency(back.samples[0], SAMPLE_RATE) - 300) < 5
