"""Back up, wipe and restore a scratch vault, and compare: `make restore-drill`."""

from django.core.management.base import BaseCommand, CommandError

from recordings.devtools.drill import DrillFailed, restore_drill


class Command(BaseCommand):
    help = (
        "Run the restore drill on a scratch vault of its own (never this installation's data): "
        "seed, backup_vault, wipe, restore_vault, compare row counts and media checksums. "
        "DRILL_DATABASE_URL=postgres://…/prefix uses a scratch PostgreSQL database on that "
        "server; MEDIA_STORAGE=s3 (with AWS_S3_ENDPOINT_URL and credentials) a scratch bucket."
    )

    def handle(self, *args, **options):
        try:
            restore_drill(say=self.stdout.write)
        except DrillFailed as exc:
            raise CommandError(f"restore drill FAILED: {exc}") from exc
        self.stdout.write("restore drill passed")
