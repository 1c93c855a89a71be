"""Writes of tenancy data: accounts, members, API keys, and the audit record every service
writes."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from console.models import Account, ApiKey, AuditEvent, Membership, new_secret, secret_digest
from console.roles import Role


@dataclass(frozen=True)
class Actor:
    """Who acts in a service call, as the audit log records it."""

    name: str
    user: object | None = None
    source_ip: str | None = None


SYSTEM = Actor(name="system")


def audit_record(
    *, account: Account, actor: Actor, action: str, object_sid: str = "", object_repr: str = ""
) -> AuditEvent:
    """Write one audit event; call it inside the acting service's transaction."""
    return AuditEvent.objects.create(
        account=account,
        actor=actor.name,
        actor_user=actor.user,
        action=action,
        object_sid=object_sid,
        object_repr=object_repr[:255],
        source_ip=actor.source_ip,
    )


@transaction.atomic
def account_create(*, friendly_name: str, actor: Actor = SYSTEM) -> Account:
    """Create an account with a fresh auth token."""
    account = Account.objects.create(friendly_name=friendly_name)
    audit_record(
        account=account,
        actor=actor,
        action="account.create",
        object_sid=account.sid,
        object_repr=friendly_name,
    )
    return account


@transaction.atomic
def member_set(
    *, account: Account, email: str, password: str | None, role: Role, actor: Actor = SYSTEM
) -> Membership:
    """Create or update a console user by email and give them this role in the account."""
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(
        username=email.lower(), defaults={"email": email.lower()}
    )
    if password:
        user.set_password(password)
        user.save(update_fields=["password"])
    elif created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    membership, _ = Membership.objects.update_or_create(
        user=user, account=account, defaults={"role": role}
    )
    audit_record(
        account=account, actor=actor, action="member.set", object_repr=f"{user.username}: {role}"
    )
    return membership


@dataclass(frozen=True)
class NewApiKey:
    """A key just created, with its secret: the only moment the secret exists in clear."""

    key: ApiKey
    secret: str


@transaction.atomic
def api_key_create(
    *, account: Account, friendly_name: str = "", actor: Actor = SYSTEM
) -> NewApiKey:
    """Create an API key for the account and return its secret once."""
    secret = new_secret() + new_secret()
    key = ApiKey.objects.create(
        account=account, friendly_name=friendly_name, secret_hash=secret_digest(secret)
    )
    audit_record(
        account=account,
        actor=actor,
        action="api_key.create",
        object_sid=key.sid,
        object_repr=friendly_name,
    )
    return NewApiKey(key=key, secret=secret)


@transaction.atomic
def api_key_revoke(*, key: ApiKey, actor: Actor = SYSTEM) -> None:
    """Revoke an API key: from now on it authenticates nothing."""
    if key.date_revoked is None:
        key.date_revoked = timezone.now()
        key.save(update_fields=["date_revoked"])
        audit_record(
            account=key.account,
            actor=actor,
            action="api_key.revoke",
            object_sid=key.sid,
            object_repr=key.friendly_name,
        )
