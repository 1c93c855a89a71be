"""Give a fresh installation a demo account with simulated rooms and calls, and real recordings
(once)."""

from django.core.management.base import BaseCommand

from recordings.devtools.demo import credentials_file, demo_credentials, login_text


class Command(BaseCommand):
    help = "Create the demo account, login and recordings on first run; print the login each run."

    def handle(self, *args, **options):
        quiet = options["verbosity"] == 0
        if not credentials_file().exists():
            self.stdout.write("Creating the demo account and a month of recordings (once)…")
        credentials = demo_credentials()
        if not quiet:
            self.stdout.write("\n" + login_text(credentials, "http://127.0.0.1:8000/"))
