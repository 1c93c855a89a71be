"""Writes of tenancy data: accounts, members, API keys, and the audit record every service
writes."""

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from console.models import (
    Account,
    ApiKey,
    AuditEvent,
    Invitation,
    Membership,
    auth_token_sealed,
    new_secret,
    secret_digest,
)
from console.roles import Role, Scope

if TYPE_CHECKING:
    from django.contrib.auth.models import User


@dataclass(frozen=True)
class Actor:
    """Who acts in a service call, as the audit log records it."""

    name: str
    user: "User | None" = None
    source_ip: str | None = None


SYSTEM = Actor(name="system")


def audit_record(
    *,
    account: Account,
    actor: Actor,
    action: str,
    object_sid: str = "",
    object_repr: str = "",
    detail: str = "",
) -> AuditEvent:
    """Write one audit event; call it inside the acting service's transaction."""
    return AuditEvent.objects.create(
        account=account,
        actor=actor.name,
        actor_user=actor.user,
        action=action,
        object_sid=object_sid,
        object_repr=object_repr[:255],
        detail=detail,
        source_ip=actor.source_ip,
    )


@transaction.atomic
def account_create(
    *,
    friendly_name: str,
    actor: Actor = SYSTEM,
    sid: str | None = None,
    auth_token: str | None = None,
) -> Account:
    """Create an account with a fresh auth token, or with the SID and token of the account it
    is imported from (so that code using those credentials works unchanged)."""
    identity = {"sid": sid, "auth_token": auth_token}
    account = Account.objects.create(
        friendly_name=friendly_name, **{k: v for k, v in identity.items() if v}
    )
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
    *,
    account: Account,
    friendly_name: str = "",
    scope: str = Scope.STANDARD,
    actor: Actor = SYSTEM,
) -> NewApiKey:
    """Create an API key of this scope for the account and return its secret once."""
    secret = new_secret() + new_secret()
    key = ApiKey.objects.create(
        account=account,
        friendly_name=friendly_name,
        scope=Scope(scope),
        secret_hash=secret_digest(secret),
    )
    audit_record(
        account=account,
        actor=actor,
        action="api_key.create",
        object_sid=key.sid,
        object_repr=f"{friendly_name} ({key.scope})" if friendly_name else key.scope,
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


# AUTH TOKEN ROTATION ----------------------------------------------------------------------------
# As Twilio does: create a secondary token, move the applications to it (both authenticate), then
# promote it, which ends the old primary. Tokens never enter the audit log.


class SecondaryTokenExists(Exception):
    """Refuse a second secondary token: the one shown before would silently stop working."""


class NoSecondaryToken(Exception):
    """Refuse to promote or delete a secondary token the account does not have."""


def _account_locked(*, account: Account) -> Account:
    """Re-read the account under a row lock, so that two rotations run one after the other."""
    return Account.objects.select_for_update().get(sid=account.sid)


_SECONDARY_FIELDS = [
    "secondary_auth_token_sealed",
    "secondary_auth_token_digest",
    "secondary_auth_token_date_created",
]


def _secondary_clear(account: Account) -> None:
    account.secondary_auth_token_sealed = account.secondary_auth_token_digest = ""
    account.secondary_auth_token_date_created = None


@transaction.atomic
def account_auth_token_secondary_create(*, account: Account, actor: Actor = SYSTEM) -> str:
    """Give the account a secondary auth token and return it: the only moment it is shown."""
    current = _account_locked(account=account)
    if current.secondary_auth_token_digest:
        raise SecondaryTokenExists(
            "This account already has a secondary auth token: promote it or delete it before "
            "creating another."
        )
    token = new_secret()
    current.secondary_auth_token_sealed, current.secondary_auth_token_digest = auth_token_sealed(
        token
    )
    current.secondary_auth_token_date_created = timezone.now()
    current.save(update_fields=[*_SECONDARY_FIELDS, "date_updated"])
    audit_record(
        account=current, actor=actor, action="auth_token.secondary_create", object_sid=current.sid
    )
    return token


@transaction.atomic
def account_auth_token_secondary_promote(*, account: Account, actor: Actor = SYSTEM) -> Account:
    """Make the secondary auth token the primary one; the old primary authenticates no more."""
    current = _account_locked(account=account)
    if not current.secondary_auth_token_digest:
        raise NoSecondaryToken("There is no secondary auth token to promote: create one first.")
    current.auth_token_sealed = current.secondary_auth_token_sealed
    current.auth_token_digest = current.secondary_auth_token_digest
    _secondary_clear(current)
    current.save(
        update_fields=["auth_token_sealed", "auth_token_digest", *_SECONDARY_FIELDS, "date_updated"]
    )
    audit_record(account=current, actor=actor, action="auth_token.promote", object_sid=current.sid)
    return current


@transaction.atomic
def account_auth_token_secondary_delete(*, account: Account, actor: Actor = SYSTEM) -> None:
    """Delete the secondary auth token: from now on it authenticates nothing."""
    current = _account_locked(account=account)
    if not current.secondary_auth_token_digest:
        raise NoSecondaryToken("There is no secondary auth token to delete.")
    _secondary_clear(current)
    current.save(update_fields=[*_SECONDARY_FIELDS, "date_updated"])
    audit_record(
        account=current, actor=actor, action="auth_token.secondary_delete", object_sid=current.sid
    )


# MEMBERS AND ROLES ------------------------------------------------------------------------------


class LastOwner(Exception):
    """Refuse a change that would leave an account without an owner."""

    def __init__(self, membership: Membership):
        self.membership = membership
        super().__init__(
            f"{membership.user.username} is the last owner of this account: make another member "
            "an owner first."
        )


class AlreadyMember(Exception):
    """Refuse to add a user who is already a member of the account."""


def _owners_locked(*, account_id: str) -> list[int]:
    """Lock the account's owner memberships (in pk order) and return their pks.

    Every change that could remove an owner takes these locks first, so two of them run one after
    the other and the second one counts the owners the first one left.
    """
    return list(
        Membership.objects.select_for_update()
        .filter(account_id=account_id, role=Role.OWNER)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _membership_locked(*, membership: Membership) -> Membership:
    """Re-read a membership under a row lock, as it is now."""
    return (
        Membership.objects.select_for_update(of=("self",))
        .select_related("user", "account")
        .get(pk=membership.pk)
    )


@transaction.atomic
def member_change_role(*, membership: Membership, role: Role, actor: Actor = SYSTEM) -> Membership:
    """Give a member another role; raise LastOwner rather than demote the account's last owner."""
    owners = _owners_locked(account_id=membership.account_id)
    current = _membership_locked(membership=membership)
    if current.role == role:
        return current
    if current.role == Role.OWNER and owners == [current.pk]:
        raise LastOwner(current)
    previous = current.role
    current.role = role
    current.save(update_fields=["role"])
    audit_record(
        account=current.account,
        actor=actor,
        action="member.role_change",
        object_repr=f"{current.user.username}: {previous} → {role}",
    )
    return current


@transaction.atomic
def member_remove(*, membership: Membership, actor: Actor = SYSTEM) -> None:
    """Remove a member from one account (their other accounts keep them); never the last owner."""
    owners = _owners_locked(account_id=membership.account_id)
    current = _membership_locked(membership=membership)
    if current.role == Role.OWNER and owners == [current.pk]:
        raise LastOwner(current)
    audit_record(
        account=current.account,
        actor=actor,
        action="member.remove",
        object_repr=f"{current.user.username}: {current.role}",
    )
    current.delete()


# INVITATIONS ------------------------------------------------------------------------------------
# People join an account only by invitation: they set their own password or sign in with the login
# they have. Nobody else ever chooses or learns it (only the add_member command, run by the
# operator on the server, still sets passwords).


@dataclass(frozen=True)
class NewInvitation:
    """An invitation just created, with its token: the only moment the token exists in clear."""

    invitation: Invitation
    token: str


class InvitationUnusable(Exception):
    """Refuse a link that was used, revoked or has expired; ``reason`` says which."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(f"This invitation was {reason}.")


class WrongUser(Exception):
    """Refuse an invitation accepted by someone signed in under another email."""


class LoginExists(Exception):
    """Refuse to set a password through an invitation for an email that already has a login."""


@transaction.atomic
def invitation_create(
    *, account: Account, email: str, role: Role, actor: Actor = SYSTEM
) -> NewInvitation:
    """Invite an email to the account with this role and return the link's token once.

    The caller mails the link after this commits. A new invitation replaces the pending one for
    the same email, so only the latest link works. Raises AlreadyMember for a member of this
    account; whether the email has a login elsewhere changes nothing here.
    """
    email = email.lower()
    if Membership.objects.filter(account=account, user__username=email).exists():
        raise AlreadyMember(f"{email} is already a member of this account.")
    now = timezone.now()
    replaced = Invitation.objects.filter(
        account=account, email=email, date_accepted__isnull=True, date_revoked__isnull=True
    ).update(date_revoked=now)
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        account=account,
        email=email,
        role=role,
        token_hash=secret_digest(token),
        invited_by=actor.user,
        expires=now + timedelta(days=settings.INVITATION_EXPIRY_DAYS),
    )
    audit_record(
        account=account,
        actor=actor,
        action="invitation.create",
        object_repr=f"{email}: {role}" + (" (replaces the pending invitation)" if replaced else ""),
    )
    return NewInvitation(invitation=invitation, token=token)


def _invitation_locked(*, invitation: Invitation) -> Invitation:
    """Re-read an invitation under a row lock; raise InvitationUnusable unless it is pending."""
    current = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("account")
        .get(pk=invitation.pk)
    )
    reason = current.unusable_because(timezone.now())
    if reason is not None:
        raise InvitationUnusable(reason)
    return current


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, actor: Actor = SYSTEM) -> None:
    """Revoke a pending invitation: its link no longer works."""
    current = _invitation_locked(invitation=invitation)
    current.date_revoked = timezone.now()
    current.save(update_fields=["date_revoked"])
    audit_record(
        account=current.account,
        actor=actor,
        action="invitation.revoke",
        object_repr=f"{current.email}: {current.role}",
    )


def _invitation_join(*, invitation: Invitation, user: "User", source_ip: str | None) -> Membership:
    """Make the user a member with the invited role and use the invitation up.

    Someone who became a member meanwhile keeps the role they have: an invitation only adds.
    """
    membership, _ = Membership.objects.get_or_create(
        user=user, account=invitation.account, defaults={"role": invitation.role}
    )
    invitation.date_accepted = timezone.now()
    invitation.save(update_fields=["date_accepted"])
    audit_record(
        account=invitation.account,
        actor=Actor(name=f"user:{user.username}", user=user, source_ip=source_ip),
        action="invitation.accept",
        object_repr=f"{user.username}: {membership.role}",
    )
    return membership


@transaction.atomic
def invitation_accept(
    *, invitation: Invitation, user: "User", source_ip: str | None = None
) -> Membership:
    """Accept an invitation as the signed-in user, who must be the one invited."""
    current = _invitation_locked(invitation=invitation)
    if user.username != current.email:
        raise WrongUser(f"This invitation is for {current.email}.")
    return _invitation_join(invitation=current, user=user, source_ip=source_ip)


@transaction.atomic
def invitation_accept_with_password(
    *, invitation: Invitation, password: str, source_ip: str | None = None
) -> Membership:
    """Accept an invitation by creating the invitee's login with the password they chose.

    Raises LoginExists when the email has a login already: its owner signs in to accept.
    """
    current = _invitation_locked(invitation=invitation)
    users = get_user_model().objects
    if users.filter(username=current.email).exists():
        raise LoginExists(f"{current.email} already has a login: sign in to accept.")
    try:
        with transaction.atomic():
            user = users.create_user(username=current.email, email=current.email, password=password)
    except IntegrityError:  # the same email was signed up through another link just now
        raise LoginExists(f"{current.email} already has a login: sign in to accept.") from None
    return _invitation_join(invitation=current, user=user, source_ip=source_ip)
