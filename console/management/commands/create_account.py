"""Create an account (and optionally its owner's console login); print its credentials."""

import json

from django.core.management.base import BaseCommand, CommandError

from console import services
from console.roles import Role


class Command(BaseCommand):
    help = "Create an account; with --owner-email/--owner-password also its owner's console login."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="The account's friendly name")
        parser.add_argument("--owner-email")
        parser.add_argument("--owner-password")
        parser.add_argument("--json", action="store_true", dest="as_json", help="Print JSON only")

    def handle(self, *args, name, owner_email, owner_password, as_json, **options):
        if bool(owner_email) != bool(owner_password):
            raise CommandError("--owner-email and --owner-password go together")
        account = services.account_create(friendly_name=name)
        if owner_email:
            services.member_set(
                account=account, email=owner_email, password=owner_password, role=Role.OWNER
            )
        if as_json:
            self.stdout.write(
                json.dumps({"account_sid": account.sid, "auth_token": account.auth_token})
            )
            return
        self.stdout.write(f"Account SID: {account.sid}\nAuth token:  {account.auth_token}")
        if owner_email:
            self.stdout.write(f"Owner login: {owner_email}")
