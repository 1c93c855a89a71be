"""Create or update a console user and give them a role in an account."""

import json

from django.core.management.base import BaseCommand, CommandError

from console import selectors, services
from console.roles import Role


class Command(BaseCommand):
    help = "Create or update a console user (by email) and set their role in an account."

    def add_arguments(self, parser):
        parser.add_argument("--account", required=True, help="Account SID (AC…)")
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", help="Set or reset the user's password")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--json", action="store_true", dest="as_json", help="Print JSON only")

    def handle(self, *args, account, email, password, role, as_json, **options):
        owner = selectors.account_get(sid=account)
        if owner is None:
            raise CommandError(f"No account {account}")
        membership = services.member_set(account=owner, email=email, password=password, role=role)
        result = {"account_sid": owner.sid, "email": membership.user.username, "role": role}
        self.stdout.write(
            json.dumps(result) if as_json else f"{email} is now {role} of {owner.sid}"
        )
