"""Run a whole Group Room through the ingest services, leaving real, playable recordings."""

import json

from django.core.management.base import BaseCommand, CommandError

from console import selectors
from recordings.devtools.simulator import simulate_room
from recordings.media.store import MediaStoreUnavailable


def _names(value: str) -> list[str]:
    return [name.strip() for name in value.split(",") if name.strip()]


class Command(BaseCommand):
    help = "Simulate a record-on-connect Group Room with N participants and real media."

    def add_arguments(self, parser):
        parser.add_argument("--account", required=True, help="Account SID (AC…)")
        parser.add_argument("--participants", type=int, default=2)
        parser.add_argument("--identities", type=_names, help="Alice,Bob,… (default participant-N)")
        parser.add_argument(
            "--screen", type=_names, default=[], help="identities that share screen"
        )
        parser.add_argument("--seconds", type=int, default=5, help="media length of each track")
        parser.add_argument("--audio-only", action="store_true")
        parser.add_argument("--keep-open", action="store_true", help="leave the room in progress")
        parser.add_argument("--name", help="the room's unique name")
        parser.add_argument("--status-callback", help="URL for the room's status callbacks")
        parser.add_argument("--json", action="store_true", dest="as_json", help="print JSON only")

    def handle(self, *args, **options):
        account = selectors.account_get(sid=options["account"])
        if account is None:
            raise CommandError(f"No account {options['account']}")
        if not 1 <= options["seconds"] <= 600:
            raise CommandError("--seconds must be between 1 and 600")
        identities = options["identities"] or [
            f"participant-{n}" for n in range(1, options["participants"] + 1)
        ]
        try:
            room, recordings = simulate_room(
                account=account,
                identities=identities,
                seconds=options["seconds"],
                audio_only=options["audio_only"],
                screen=options["screen"],
                keep_open=options["keep_open"],
                unique_name=options["name"],
                status_callback=options["status_callback"],
            )
        except MediaStoreUnavailable as exc:
            # The room ended; its recordings stay processing, as after a failed upload.
            raise CommandError(f"The media could not be stored: {exc}") from exc
        result = {"room_sid": room.sid, "recording_sids": [r.sid for r in recordings]}
        if options["as_json"]:
            self.stdout.write(json.dumps(result))
        else:
            self.stdout.write(
                f"Room {room.sid} ({room.status}): {len(recordings)} recordings "
                f"({', '.join(sorted({r.status for r in recordings}))})"
            )
