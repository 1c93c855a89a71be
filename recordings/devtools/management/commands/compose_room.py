"""Compose one room's recordings into one playable file, from the command line.

The first step of Compositions (issue 15): Twilio's default grid (or the regions of ``--layout``,
a VideoLayout as the API takes it), every audio track mixed, trimmed to where there is media.
Tracks are placed on the room's clock by when each recording started (``date_created``) after the
room's start (``offset``, the room's ``media_offset``).
"""

import json
import shutil
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from console import selectors as console_selectors
from recordings.compositions.layout import parse_resolution, parse_video_layout
from recordings.compositions.render import FORMATS, VideoInput, compose
from recordings.video import selectors
from recordings.video.choices import MediaType, RecordingStatus
from recordings.video.filters import RecordingFilter
from recordings.video.media import media_store_for
from recordings.video.models import Recording


def _start_seconds(recording: Recording) -> float:
    """Return when a recording's media starts, in seconds after its room's start."""
    started_ms = recording.date_created.timestamp() * 1000
    return max(0.0, (started_ms - (recording.offset or 0)) / 1000)


def _fetch(recording: Recording, folder: Path) -> Path:
    """Copy a recording's media from its store into ``folder``, streamed, named by its SID."""
    path = folder / f"{recording.sid}.{recording.container_format}"
    with media_store_for(recording).open(recording.media_key) as source, path.open("wb") as out:
        shutil.copyfileobj(source, out)
    return path


class Command(BaseCommand):
    help = "Compose a room's completed recordings into one MP4 or WebM file (grid layout)."

    def add_arguments(self, parser):
        parser.add_argument("--account", required=True, help="Account SID (AC…)")
        parser.add_argument("--room", required=True, help="Room SID (RM…)")
        parser.add_argument("--out", required=True, help="path of the file to write")
        parser.add_argument("--resolution", default="640x480", help="WIDTHxHEIGHT")
        parser.add_argument("--format", default="mp4", choices=sorted(FORMATS), dest="fmt")
        parser.add_argument(
            "--layout", help="VideoLayout as the API takes it (JSON); default: one grid of all"
        )
        parser.add_argument("--json", action="store_true", dest="as_json", help="print JSON only")

    def handle(self, *args, **options):
        try:
            resolution = parse_resolution(options["resolution"])
            # Without --layout, compose's own default: Twilio's grid of every video track.
            layout = None
            if options["layout"] is not None:
                layout = parse_video_layout(options["layout"], resolution=resolution)
        except ValueError as exc:  # LayoutError is one
            raise CommandError(str(exc)) from exc
        account = console_selectors.account_get(sid=options["account"])
        if account is None:
            raise CommandError(f"No account {options['account']}")
        room = selectors.room_get(account=account, sid_or_name=options["room"])
        if room is None:
            raise CommandError(f"No room {options['room']} in account {account.sid}")
        recordings = list(
            selectors.recording_list(
                account=account,
                filter=RecordingFilter(room_sid=room.sid, status=RecordingStatus.COMPLETED),
            )
            .exclude(type=MediaType.DATA)
            .filter(media_key__gt="")
        )
        encrypted = sorted(r.sid for r in recordings if r.encryption_key)
        if encrypted:
            raise CommandError(
                f"Room {room.sid} has encrypted recordings ({', '.join(encrypted)}): "
                "encrypted recordings cannot be composed"
            )
        if not recordings:
            raise CommandError(f"Room {room.sid} has no completed recordings to compose")

        with tempfile.TemporaryDirectory(prefix="compose-") as tmp:
            video: list[VideoInput] = []
            audio: list[tuple[Path, float]] = []
            for recording in recordings:
                path, start = _fetch(recording, Path(tmp)), _start_seconds(recording)
                if recording.type == MediaType.VIDEO:
                    video.append(VideoInput(path, start, recording.track_name, recording.track_id))
                else:
                    audio.append((path, start))
            duration = compose(
                video,
                audio,
                resolution=resolution,
                fmt=options["fmt"],
                out_path=options["out"],
                layout=layout,
            )
        result = {
            "room_sid": room.sid,
            "out": options["out"],
            "duration": duration,
            "format": options["fmt"],
            "resolution": f"{resolution[0]}x{resolution[1]}",
            "video_sources": len(video),
            "audio_sources": len(audio),
        }
        if options["as_json"]:
            self.stdout.write(json.dumps(result))
        else:
            self.stdout.write(
                f"Room {room.sid}: {duration:.2f} s {options['fmt']} at {result['resolution']} "
                f"({result['video_sources']} video, {result['audio_sources']} audio) → "
                f"{options['out']}"
            )
