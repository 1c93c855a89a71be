"""Run the retention purge now, or preview how many recordings a purge would remove."""

import json
from datetime import UTC, datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from recordings.lifecycle.retention import recordings_purge


def _as_of(value: str) -> datetime:
    """Return the --as-of date-time (naive means UTC); refuse one that is not ISO 8601."""
    try:
        as_of = parse_datetime(value)
    except ValueError:
        as_of = None
    if as_of is None:
        raise CommandError(f"--as-of {value!r} is not an ISO 8601 date-time")
    return as_of.replace(tzinfo=UTC) if timezone.is_naive(as_of) else as_of


class Command(BaseCommand):
    help = (
        "Purge deleted recordings past RECORDING_RETENTION_DAYS. With --dry-run, only count them "
        "(--as-of previews a future date)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="count only; delete nothing")
        parser.add_argument(
            "--as-of", help="ISO 8601 date-time to preview (only with --dry-run; naive means UTC)"
        )
        parser.add_argument("--json", action="store_true", dest="as_json", help="print JSON only")

    def handle(self, *args, **options):
        now = timezone.now()
        if options["as_of"] is not None:
            if not options["dry_run"]:
                raise CommandError("--as-of previews a purge: it needs --dry-run")
            now = _as_of(options["as_of"])
        purged = recordings_purge(now=now, dry_run=options["dry_run"])
        if options["as_json"]:
            self.stdout.write(json.dumps({"purged": purged}))
        elif options["dry_run"]:
            self.stdout.write(
                f"{purged} deleted recordings would be purged as of {now.isoformat()}"
            )
        else:
            self.stdout.write(f"{purged} deleted recordings purged")
