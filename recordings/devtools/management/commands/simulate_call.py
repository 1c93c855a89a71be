"""Run a recorded phone call through the voice services, leaving a real, playable recording."""

import json

from django.core.management.base import BaseCommand, CommandError

from console import selectors
from recordings.devtools.voice_simulator import simulate_call
from recordings.voice.choices import PauseBehavior, Trim


class Command(BaseCommand):
    help = "Simulate a recorded two-party call with real audio (one speaker per leg)."

    def add_arguments(self, parser):
        parser.add_argument("--account", required=True, help="Account SID (AC…)")
        parser.add_argument("--seconds", type=float, default=10, help="length of the call")
        parser.add_argument("--dual", action="store_true", help="record each leg in a channel")
        parser.add_argument("--pause-at", type=float, help="seconds into the call to pause")
        parser.add_argument("--resume-at", type=float, help="seconds into the call to resume")
        parser.add_argument(
            "--pause-behavior", choices=PauseBehavior.values, default=PauseBehavior.SILENCE
        )
        parser.add_argument("--trim", choices=Trim.values, default=Trim.DO_NOT_TRIM)
        parser.add_argument("--status-callback", help="URL for the recording status callbacks")
        parser.add_argument("--seed", type=int, default=0, help="varies the voices' timing")
        parser.add_argument("--json", action="store_true", dest="as_json", help="print JSON only")

    def handle(self, *args, **options):
        account = selectors.account_get(sid=options["account"])
        if account is None:
            raise CommandError(f"No account {options['account']}")
        seconds, pause_at, resume_at = (
            options["seconds"],
            options["pause_at"],
            options["resume_at"],
        )
        if not 1 <= seconds <= 3600:
            raise CommandError("--seconds must be between 1 and 3600")
        if resume_at is not None and pause_at is None:
            raise CommandError("--resume-at needs --pause-at")
        # Not ``resume_at or seconds``: a resume at 0 is a resume, and must come after the pause.
        resume_or_end = seconds if resume_at is None else resume_at
        if pause_at is not None and not 0 <= pause_at < resume_or_end <= seconds:
            raise CommandError("need 0 <= --pause-at < --resume-at <= --seconds")
        call, recording = simulate_call(
            account=account,
            seconds=seconds,
            dual=options["dual"],
            pause_at=pause_at,
            resume_at=resume_at,
            pause_behavior=options["pause_behavior"],
            trim=options["trim"],
            status_callback=options["status_callback"],
            seed=options["seed"],
        )
        result = {"call_sid": call.sid, "recording_sid": recording.sid}
        if options["as_json"]:
            self.stdout.write(json.dumps(result))
        else:
            self.stdout.write(
                f"Call {call.sid}: recording {recording.sid} {recording.status}, "
                f"{recording.duration} s, {recording.channels} channel(s)"
            )
