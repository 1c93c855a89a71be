"""Compose one room's recordings into one playable file, from the command line: the same
pipeline a composition worker runs (``compositions.making``), without a Composition row."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from console import selectors as console_selectors
from recordings.compositions.exceptions import InvalidComposition, NotComposable
from recordings.compositions.layout import default_grid_layout
from recordings.compositions.making import render_room
from recordings.compositions.render import FORMATS
from recordings.compositions.spec import spec_clean
from recordings.video import selectors


class Command(BaseCommand):
    help = "Compose a room's completed recordings into one MP4 or WebM file (grid layout)."

    def add_arguments(self, parser):
        parser.add_argument("--account", required=True, help="Account SID (AC…)")
        parser.add_argument("--room", required=True, help="Room SID (RM…)")
        parser.add_argument("--out", required=True, help="path of the file to write")
        parser.add_argument("--resolution", default="640x480", help="WIDTHxHEIGHT")
        parser.add_argument("--format", default="mp4", choices=sorted(FORMATS), dest="fmt")
        parser.add_argument(
            "--layout", default=None, help="a VideoLayout (JSON); default: every video in a grid"
        )
        parser.add_argument("--json", action="store_true", dest="as_json", help="print JSON only")

    def handle(self, *args, **options):
        account = console_selectors.account_get(sid=options["account"])
        if account is None:
            raise CommandError(f"No account {options['account']}")
        room = selectors.room_get(account=account, sid_or_name=options["room"])
        if room is None:
            raise CommandError(f"No room {options['room']} in account {account.sid}")
        try:
            spec = spec_clean(
                video_layout=options["layout"] or default_grid_layout(),
                audio_sources=["*"],
                resolution=options["resolution"],
                format=options["fmt"],
            )
            duration = render_room(room, spec, Path(options["out"]))
        except (InvalidComposition, NotComposable) as exc:
            raise CommandError(exc.message) from exc
        result = {
            "room_sid": room.sid,
            "out": options["out"],
            "duration": duration,
            "format": spec.format,
            "resolution": spec.resolution,
        }
        if options["as_json"]:
            self.stdout.write(json.dumps(result))
        else:
            self.stdout.write(
                f"Room {room.sid}: {duration:.2f} s {spec.format} at {spec.resolution} → "
                f"{options['out']}"
            )
