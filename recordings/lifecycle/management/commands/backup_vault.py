"""Back up the database, then every media object, with a manifest, into a new folder."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from recordings.lifecycle.backup import BackupRefused, vault_backup


class Command(BaseCommand):
    help = (
        "Back up the database (pg_dump -Fc, or SQLite's backup API) and then every media object "
        "(local folder or S3) into a new folder, with row counts and sha256 checksums."
    )

    def add_arguments(self, parser):
        parser.add_argument("--to", required=True, type=Path, help="a new (or empty) folder")
        parser.add_argument("--json", action="store_true", dest="as_json", help="print JSON only")

    def handle(self, *args, **options):
        try:
            manifest = vault_backup(target=options["to"])
        except BackupRefused as exc:
            raise CommandError(str(exc)) from exc
        media = manifest["media"]
        if options["as_json"]:
            self.stdout.write(json.dumps(manifest))
            return
        self.stdout.write(
            f"Backed up {manifest['database']['vendor']}: {len(manifest['tables'])} tables, "
            f"{sum(manifest['tables'].values())} rows; {media['objects']} media objects, "
            f"{media['bytes']} bytes → {options['to']}"
        )
