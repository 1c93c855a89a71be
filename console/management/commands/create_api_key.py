"""Create an API key for an account; its secret is printed once and never stored in clear."""

import json

from django.core.management.base import BaseCommand, CommandError

from console import selectors, services
from console.roles import Scope


class Command(BaseCommand):
    help = "Create an API key (SK…) for an account and print its secret once."

    def add_arguments(self, parser):
        parser.add_argument("--account", required=True, help="Account SID (AC…)")
        parser.add_argument("--name", default="", help="The key's friendly name")
        parser.add_argument(
            "--scope",
            choices=Scope.values,
            default=Scope.STANDARD,
            help="What the key may do: main (everything), standard (the Video and Voice APIs; "
            "the default), read (GET and HEAD only), ingest (only /ingest/v1)",
        )
        parser.add_argument("--json", action="store_true", dest="as_json", help="Print JSON only")

    def handle(self, *args, account, name, scope, as_json, **options):
        owner = selectors.account_get(sid=account)
        if owner is None:
            raise CommandError(f"No account {account}")
        new = services.api_key_create(account=owner, friendly_name=name, scope=scope)
        if as_json:
            self.stdout.write(json.dumps({"sid": new.key.sid, "secret": new.secret}))
            return
        self.stdout.write(
            f"API key SID: {new.key.sid}\nScope:       {new.key.scope}\nSecret:      {new.secret}"
        )
        self.stdout.write("Store the secret now: it cannot be shown again.")
