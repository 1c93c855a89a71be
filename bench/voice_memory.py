"""Peak memory of voice audio ingest: an upload of hours of silence (a FLAC of a few MB) taken
through the real service, then its renditions made, each in a process of its own, beside the
same process's peak before it started (Django, the database, PyAV and numpy imported) and the
whole-file decoding that ingest used to do first.

    .venv/bin/python -m bench.voice_memory [--hours 1 6] [--smoke]

Peaks are each process's ``ru_maxrss`` (numpy's and FFmpeg's allocations count). Every run checks
what a user would: the recording completed with the audio's length, the stored WAV and every
rendition (MP3, and mono of the dual recording) last that long; a wrong one exits non-zero.
``--smoke`` ingests a minute, correctness only.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.data import REPO

PYTHON = sys.executable
SMOKE_SECONDS = 60
# A WAV header, Matroska padding and MP3 frames make renditions a little longer or shorter.
DURATION_TOLERANCE = 0.1


def silent_flac(path: Path, seconds: int) -> None:
    """Write a dual-channel 8 kHz FLAC of silence: the attack, a few MB for hours."""
    import av
    import numpy as np

    with av.open(str(path), mode="w", format="flac") as container:
        stream = container.add_stream("flac", rate=8000, layout="stereo")
        minute = np.zeros((2, 60 * 8000), dtype=np.int16)
        for first in range(0, seconds * 8000, minute.shape[1]):
            samples = minute[:, : seconds * 8000 - first]
            frame = av.AudioFrame.from_ndarray(samples, format="s16p", layout="stereo")
            frame.sample_rate, frame.pts = 8000, first
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))


def _peak_kb() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def child(step: str, flac: Path) -> dict:
    """Run one step in this process (set up by main) and return its figures."""
    import django

    django.setup()
    from django.core.management import call_command

    from console.models import Account
    from recordings.voice import audio, services
    from recordings.voice.models import VoiceRecording

    if step == "decode":
        before, started = _peak_kb(), time.perf_counter()
        audio.decode(flac)
        return _figures(step, before, started)
    if step == "ingest":
        call_command("migrate", verbosity=0)
        account = Account.objects.create(friendly_name="bench")
        call = services.call_start(account=account)
        recording = services.voice_recording_start(call=call, source="OutboundAPI", channels=2)
        services.call_end(call=call)
        before, started = _peak_kb(), time.perf_counter()
        recording = services.voice_recording_audio_ingest(recording=recording, path=flac)
    else:
        recording = VoiceRecording.objects.get()
        before, started = _peak_kb(), time.perf_counter()
        services.voice_recording_renditions_make(recording_sid=recording.sid)
    return {
        **_figures(step, before, started),
        "status": recording.status,
        "duration": recording.duration,
        "files": _stored(recording),
    }


def _figures(step: str, before: int, started: float) -> dict:
    return {
        "step": step,
        "before_kb": before,
        "after_kb": _peak_kb(),
        "seconds": round(time.perf_counter() - started, 1),
    }


def _stored(recording) -> dict[str, list]:
    """Return the channels and length of each of a recording's files in the media store."""
    from recordings.media.store import get_media_store
    from recordings.voice import audio, media

    store, files = get_media_store(), {}
    for format in media.FORMATS:
        for channels in media.CHANNEL_COUNTS:
            key = media.rendition_key(recording, format=format, channels=channels)
            if store.exists(key):
                with tempfile.NamedTemporaryFile() as copy:
                    with store.open(key) as stored:
                        shutil.copyfileobj(stored, copy)
                    copy.flush()
                    described = audio.info(Path(copy.name))
                files[f"{channels}ch.{format}"] = [described["channels"], described["duration"]]
    return files


def _run(step: str, flac: Path, folder: Path) -> dict:
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")},
        "DJANGO_SETTINGS_MODULE": "console.settings",
        "DATA_DIR": str(folder / "data"),
        "DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}",
        # Renditions are measured as a step of their own, not queued.
        "CELERY_BROKER_URL": "memory://",
        "TMPDIR": str(folder),
    }
    done = subprocess.run(
        [PYTHON, "-m", "bench.voice_memory", "--child", step, str(flac)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        sys.exit(f"{step} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _check(figures: dict, seconds: int) -> None:
    """Exit non-zero unless the recording and its files are what the upload held."""
    step = figures["step"]
    if step == "decode":
        return
    if (figures["status"], figures["duration"]) != ("completed", seconds):
        sys.exit(f"{step}: the recording is {figures['status']} of {figures['duration']} s")
    wanted = {"2ch.wav"} if step == "ingest" else {"2ch.wav", "2ch.mp3", "1ch.wav", "1ch.mp3"}
    if set(figures["files"]) != wanted:
        sys.exit(f"{step}: stored {sorted(figures['files'])}, expected {sorted(wanted)}")
    for name, (channels, duration) in figures["files"].items():
        if channels != int(name[0]) or abs(duration - seconds) > DURATION_TOLERANCE:
            sys.exit(f"{step}: {name} has {channels} channels and lasts {duration} s")


def measure(seconds: int, *, whole_decode: bool) -> list[dict]:
    """Ingest ``seconds`` of silence and make its renditions; return each step's figures."""
    with tempfile.TemporaryDirectory(prefix="bench-voice-") as name:
        folder = Path(name)
        flac = folder / "silence.flac"
        silent_flac(flac, seconds)
        steps = ["decode"] if whole_decode else []
        rows = []
        for step in [*steps, "ingest", "renditions"]:
            figures = _run(step, flac, folder)
            _check(figures, seconds)
            rows.append({**figures, "audio_seconds": seconds, "flac_bytes": flac.stat().st_size})
    return rows


def _mb(kb: int) -> str:
    return f"{kb / 1024:.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hours", type=float, nargs="+", default=[1, 6])
    parser.add_argument("--smoke", action="store_true", help=f"{SMOKE_SECONDS} s, checks only")
    parser.add_argument("--child", nargs=2, metavar=("STEP", "FLAC"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], Path(args.child[1]))))
        return
    lengths = [SMOKE_SECONDS] if args.smoke else [round(h * 3600) for h in args.hours]
    rows = []
    for index, seconds in enumerate(lengths):
        # The old way's first step holds the whole audio: once, at the shortest length, is
        # enough to show what it costs.
        rows += measure(seconds, whole_decode=index == 0)
    if args.smoke:
        print(f"voice memory smoke: {len(rows)} steps checked")
        return
    print(
        "| audio (dual, silence) | FLAC | step | peak before (MB) | peak after (MB) | growth (MB) |"
    )
    print("| --- | ---: | --- | ---: | ---: | ---: |")
    names = {
        "decode": "whole-file decode (before this change)",
        "ingest": "ingest (upload to stored WAV)",
        "renditions": "renditions (MP3 2ch, WAV 1ch, MP3 1ch)",
    }
    for row in rows:
        print(
            f"| {row['audio_seconds'] / 3600:g} h | {row['flac_bytes'] / 1e6:.1f} MB "
            f"| {names[row['step']]} ({row['seconds']} s) | {_mb(row['before_kb'])} "
            f"| {_mb(row['after_kb'])} | {_mb(row['after_kb'] - row['before_kb'])} |"
        )


if __name__ == "__main__":
    main()
