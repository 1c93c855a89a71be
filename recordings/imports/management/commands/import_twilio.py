"""Import every recording of a Twilio (or Twilio-compatible) account into Roomvault, under the
same SIDs: ``import_twilio --account-sid AC… --auth-token …``. Run it again to fetch only what is
missing."""

import os
from datetime import UTC, datetime, time
from itertools import chain

import requests
from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_date, parse_datetime
from twilio.base.exceptions import TwilioException

from console.models import Account
from console.services import account_create
from console.sids import is_sid
from recordings.imports import services
from recordings.imports.cli import run_and_report
from recordings.imports.models import ImportJob
from recordings.imports.source import Source, stop_reason
from recordings.imports.twilio import video_works, voice_works


def _moment(value: str):
    day = parse_date(value) if len(value) == 10 else None
    moment = datetime.combine(day, time(), tzinfo=UTC) if day else parse_datetime(value)
    if moment is None:
        raise ValueError(f"not a date or date-time: {value!r}")
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Command(BaseCommand):
    help = "Import recordings (video, and voice with --voice) from a Twilio-compatible API."

    def add_arguments(self, parser):
        parser.add_argument("--account-sid", required=True, help="the source account (AC…)")
        parser.add_argument(
            "--auth-token",
            default=os.environ.get("TWILIO_AUTH_TOKEN"),
            help="its auth token (default: $TWILIO_AUTH_TOKEN, kept out of shell history)",
        )
        parser.add_argument("--api-base-url", help="a Twilio-compatible server (default Twilio)")
        parser.add_argument("--since", type=_moment, help="created on or after (date or time)")
        parser.add_argument("--until", type=_moment, help="created before (date or time)")
        parser.add_argument("--include-deleted", action="store_true")
        parser.add_argument("--voice", action="store_true", help="2010-04-01 recordings too")
        parser.add_argument("--dry-run", action="store_true", help="count, fetch nothing")
        parser.add_argument("--concurrency", type=int, default=4, help="parallel downloads")
        parser.add_argument("--json", action="store_true", dest="as_json", help="print JSON only")

    def handle(self, *args, **options):
        sid, token = options["account_sid"], options["auth_token"]
        if not is_sid(sid, "AC"):
            raise CommandError("--account-sid must be AC followed by 32 hex digits")
        if not token:
            raise CommandError("--auth-token (or TWILIO_AUTH_TOKEN) is required")
        if not 1 <= options["concurrency"] <= 32:
            raise CommandError("--concurrency must be between 1 and 32")
        # The operator's own command: any address is theirs to reach (not a tenant's URL).
        source = Source(sid, token, options["api_base_url"], any_address=True)
        window = {
            "since": options["since"],
            "until": options["until"],
            "include_deleted": options["include_deleted"],
        }
        works = video_works(source, **window)
        if options["voice"]:
            works = chain(works, voice_works(source, **window))
        job_options = {
            "voice": options["voice"],
            "include_deleted": options["include_deleted"],
            "since": options["since"].isoformat() if options["since"] else None,
            "until": options["until"].isoformat() if options["until"] else None,
        }
        if options["dry_run"]:
            account = Account.objects.filter(sid=sid).first() or Account(sid=sid)
            job = ImportJob(account=account, kind=ImportJob.Kind.TWILIO, options=job_options)
        else:
            account = Account.objects.filter(sid=sid).first() or account_create(
                friendly_name=f"Imported {sid}", sid=sid, auth_token=token
            )
            job = services.import_job_for(
                account=account,
                kind=ImportJob.Kind.TWILIO,
                source=source.name,
                source_account_sid=sid,
                options=job_options,
            )
        try:
            run_and_report(
                self,
                job=job,
                works=works,
                as_json=options["as_json"],
                concurrency=options["concurrency"],
                dry_run=options["dry_run"],
            )
        except (TwilioException, requests.RequestException) as exc:
            raise CommandError(
                f"Import stopped. {stop_reason(exc)} What was imported stays: running the same "
                "command again continues it."
            ) from None
