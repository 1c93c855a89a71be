"""Import a folder of exported video recordings (``RT….json`` documents with their media beside
them; see ``recordings.imports.folder``) into an account, under the same SIDs:
``import_folder PATH --account AC…``. Run it again to import only what is missing."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from console.models import Account
from recordings.imports import services
from recordings.imports.cli import run_and_report
from recordings.imports.folder import folder_works
from recordings.imports.models import ImportJob


class Command(BaseCommand):
    help = "Import video recordings (RT….json documents and their .mka/.mkv media) from a folder."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="the folder (searched recursively)")
        parser.add_argument("--account", required=True, help="the account to import into (AC…)")
        parser.add_argument("--dry-run", action="store_true", help="check the documents only")
        parser.add_argument("--json", action="store_true", dest="as_json", help="print JSON only")

    def handle(self, *args, **options):
        path: Path = options["path"].resolve()
        if not path.is_dir():
            raise CommandError(f"{path} is not a folder")
        account = Account.objects.filter(sid=options["account"]).first()
        if account is None:
            raise CommandError(f"No account {options['account']}: create it first")
        if options["dry_run"]:
            job = ImportJob(account=account, kind=ImportJob.Kind.FOLDER, source=str(path))
        else:
            job = services.import_job_for(
                account=account, kind=ImportJob.Kind.FOLDER, source=str(path), options={}
            )
        run_and_report(
            self,
            job=job,
            works=folder_works(path),
            as_json=options["as_json"],
            dry_run=options["dry_run"],
        )
