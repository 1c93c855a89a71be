"""Bulk-load N realistic recording rows (metadata only, no media) for benchmarks."""

import dataclasses
import json

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from console import selectors
from recordings.devtools.seeding import recordings_seed


class Command(BaseCommand):
    help = (
        "Load N recordings with their rooms, participants and tracks at database speed: 90% in "
        "the given account, 10% in filler accounts created for the purpose. With --expired, all "
        "N are the account's, deleted past retention (what the next purge removes)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--account", required=True, help="Account SID (AC…), must exist")
        parser.add_argument("--count", type=int, required=True, help="how many recordings")
        parser.add_argument(
            "--expired", action="store_true", help="deleted past retention, all in --account"
        )
        parser.add_argument("--seed", type=int, help="seed of the random stream (data shape)")
        parser.add_argument(
            "--workers", type=int, default=1, help="load in this many processes (PostgreSQL)"
        )
        parser.add_argument(
            "--defer-indexes",
            action="store_true",
            help="drop the tables' secondary indexes and foreign keys for the load, build them "
            "again after (PostgreSQL; a benchmark's database only: never a vault in use)",
        )
        parser.add_argument("--json", action="store_true", dest="as_json", help="print JSON only")

    def handle(self, *args, **options):
        account = selectors.account_get(sid=options["account"])
        if account is None:
            raise CommandError(f"No account {options['account']}")
        if options["count"] < 1:
            raise CommandError("--count must be at least 1")
        if options["workers"] < 1:
            raise CommandError("--workers must be at least 1")
        if (
            options["workers"] > 1 or options["defer_indexes"]
        ) and connection.vendor != "postgresql":
            raise CommandError("--workers and --defer-indexes need PostgreSQL")
        result = recordings_seed(
            account=account,
            count=options["count"],
            expired=options["expired"],
            seed=options["seed"],
            workers=options["workers"],
            defer_indexes=options["defer_indexes"],
        )
        if options["as_json"]:
            self.stdout.write(json.dumps(dataclasses.asdict(result)))
        else:
            self.stdout.write(
                f"Seeded {result.count} {'expired ' if options['expired'] else ''}recordings "
                f"for {result.account_sid} ({result.rooms} rooms, {result.participants} "
                f"participants, {result.tracks} tracks) in {result.seconds:.1f} s"
            )
