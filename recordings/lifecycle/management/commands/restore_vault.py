"""Restore a backup made by backup_vault, or check this vault against one."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from recordings.lifecycle.backup import BackupRefused, backup_read, vault_inventory, vault_restore


class Command(BaseCommand):
    help = (
        "Restore a backup_vault folder: every checksum is verified first, then the database is "
        "restored (pg_restore --clean --if-exists), its row counts compared, and the media "
        "objects the store lacks written back. --check only compares this vault with the backup."
    )

    def add_arguments(self, parser):
        parser.add_argument("--from", required=True, type=Path, dest="source")
        parser.add_argument(
            "--check",
            action="store_true",
            help="change nothing: compare this vault's row counts and media checksums with the "
            "backup's; exit 1 on any difference",
        )
        parser.add_argument("--json", action="store_true", dest="as_json", help="print JSON only")

    def handle(self, *args, **options):
        try:
            if options["check"]:
                _, expected = backup_read(source=options["source"])
                differences = vault_inventory().differences(expected)
            else:
                expected, differences = vault_restore(source=options["source"]), []
        except BackupRefused as exc:
            raise CommandError(str(exc)) from exc
        summary = {
            "tables": len(expected.tables),
            "rows": sum(expected.tables.values()),
            "media_objects": len(expected.media),
            "media_bytes": expected.media_bytes,
            "differences": differences,
        }
        if options["as_json"]:
            self.stdout.write(json.dumps(summary))
        else:
            verb = "Checked against" if options["check"] else "Restored"
            self.stdout.write(
                f"{verb} {options['source']}: {summary['tables']} tables, {summary['rows']} rows; "
                f"{summary['media_objects']} media objects, {summary['media_bytes']} bytes"
            )
            for line in differences:
                self.stderr.write(line)
        if differences:
            raise CommandError(f"{len(differences)} differences from the backup", returncode=1)
