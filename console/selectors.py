"""Reads of tenancy data: accounts by credentials, memberships, keys, audit events."""

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils import timezone

from console.models import (
    Account,
    ApiKey,
    AuditEvent,
    AwsCredential,
    Invitation,
    Membership,
    secret_digest,
)
from console.roles import Scope
from console.sids import is_sid

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def account_for_credentials(*, sid: str, secret: str) -> tuple[Account, str] | None:
    """Return the account these Basic credentials authenticate and their scope, or None.

    The account's auth token acts as a ``main`` key; a key's scope comes with its row, so the
    check costs no query beyond the lookup.
    """
    if is_sid(sid, "AC"):
        account = Account.objects.filter(sid=sid).first()
        if account is not None and account.check_auth_token(secret):
            return account, Scope.MAIN
        return None
    if is_sid(sid, "SK"):
        key = (
            ApiKey.objects.select_related("account")
            .filter(sid=sid, date_revoked__isnull=True)
            .first()
        )
        return (key.account, key.scope) if key is not None and key.check_secret(secret) else None
    return None


def memberships_of_user(*, user: "User") -> QuerySet[Membership]:
    """Return the accounts a console user belongs to, with their roles."""
    return (
        Membership.objects.filter(user=user)
        .select_related("account")
        .order_by("account__friendly_name", "account__sid")
    )


def audit_events(
    *,
    account: Account,
    actor: str | None = None,
    action: str | None = None,
    object_sid: str | None = None,
    date_created_after: datetime | None = None,
    date_created_before: datetime | None = None,
) -> QuerySet[AuditEvent]:
    """Return an account's audit events, newest first, narrowed by the filters given.

    ``actor`` matches part of the actor's name (``user:<email>``, ``api:<SID>``, ``system``);
    ``action`` matches an action exactly or a family of them (``api_key`` → ``api_key.*``);
    ``object_sid`` matches exactly, or one of the SIDs an event on many objects lists; the dates
    bound ``date_created`` (after inclusive, before exclusive).
    """
    qs = AuditEvent.objects.filter(account=account)
    if actor:
        qs = qs.filter(actor__icontains=actor)
    if action:
        qs = qs.filter(Q(action=action) | Q(action__startswith=f"{action}."))
    if object_sid:
        qs = qs.filter(Q(object_sid=object_sid) | Q(detail__contains=object_sid))
    if date_created_after is not None:
        qs = qs.filter(date_created__gte=date_created_after)
    if date_created_before is not None:
        qs = qs.filter(date_created__lt=date_created_before)
    return qs.order_by("-date_created", "-id")


def audit_events_by_prefix(
    *, account: Account, action_prefixes: tuple[str, ...], start: datetime, end: datetime
) -> QuerySet[AuditEvent]:
    """Return an account's audit events created in [start, end) whose action starts with one of
    the prefixes, oldest first (none when no prefix is given)."""
    if not action_prefixes:
        return AuditEvent.objects.none()
    matching = Q()
    for prefix in action_prefixes:
        matching |= Q(action__startswith=prefix)
    return AuditEvent.objects.filter(
        matching, account=account, date_created__gte=start, date_created__lt=end
    ).order_by("date_created", "id")


def account_get(*, sid: str) -> Account | None:
    """Return the account with this SID, or None."""
    return Account.objects.filter(sid=sid).first() if is_sid(sid, "AC") else None


# MEMBERS, KEYS, SETTINGS, AUDIT PAGES -----------------------------------------------------------


def members_of(*, account: Account) -> QuerySet[Membership]:
    """Return an account's memberships with their users, oldest first."""
    return (
        Membership.objects.filter(account=account)
        .select_related("user")
        .order_by("date_created", "pk")
    )


def invitations_of(*, account: Account) -> QuerySet[Invitation]:
    """Return an account's invitations, newest first."""
    return Invitation.objects.filter(account=account).order_by("-date_created", "-pk")


def invitations_pending(*, account: Account) -> QuerySet[Invitation]:
    """Return an account's invitations whose links still work, newest first."""
    return (
        invitations_of(account=account)
        .filter(date_accepted__isnull=True, date_revoked__isnull=True, expires__gt=timezone.now())
        .select_related("invited_by")
    )


def invitation_for_token(*, token: str) -> Invitation | None:
    """Return the invitation this link's token belongs to (whatever its state), or None.

    The token is the credential, like an API key's secret: it is looked up by its digest.
    """
    return (
        Invitation.objects.select_related("account").filter(token_hash=secret_digest(token)).first()
    )


def login_exists(*, email: str) -> bool:
    """Tell whether a console login exists for this email (for its invitation's own page)."""
    return get_user_model().objects.filter(username=email.lower()).exists()


def api_keys_of(*, account: Account) -> QuerySet[ApiKey]:
    """Return an account's API keys, newest first, without their secret digests."""
    return (
        ApiKey.objects.filter(account=account)
        .defer("secret_hash")
        .order_by("-date_created", "-sid")
    )


def aws_credentials_of(*, account: Account) -> QuerySet[AwsCredential]:
    """Return the account's AWS credentials, newest first."""
    return AwsCredential.objects.filter(account=account).order_by("-date_created", "-sid")


def aws_credential_get(*, account: Account, sid: str) -> AwsCredential | None:
    """Return one of the account's AWS credentials; None for an unknown or foreign SID."""
    return aws_credentials_of(account=account).filter(sid=sid).first()


@dataclass(frozen=True)
class AuditCursor:
    """A position in the audit log: the (date_created, id) of a row and the way to read on.

    ``older`` reads towards older events (the next page), otherwise towards newer ones.
    """

    date_created: datetime
    id: int
    older: bool = True


@dataclass(frozen=True)
class AuditPage:
    """One page of audit events, newest first, and whether events exist beyond each end."""

    rows: list[AuditEvent]
    has_older: bool
    has_newer: bool


def audit_page(
    qs: QuerySet[AuditEvent], *, page_size: int, cursor: AuditCursor | None
) -> AuditPage:
    """Return the page of ``qs`` (ordered newest first) past ``cursor``, without any COUNT."""
    qs = qs.select_related("actor_user")
    if cursor is None:
        rows = list(qs[: page_size + 1])
        return AuditPage(rows=rows[:page_size], has_older=len(rows) > page_size, has_newer=False)
    t, pk = cursor.date_created, cursor.id
    if cursor.older:
        beyond = qs.filter(date_created__lte=t).filter(Q(date_created__lt=t) | Q(id__lt=pk))
        rows = list(beyond[: page_size + 1])
        return AuditPage(rows=rows[:page_size], has_older=len(rows) > page_size, has_newer=True)
    beyond = qs.filter(date_created__gte=t).filter(Q(date_created__gt=t) | Q(id__gt=pk)).reverse()
    rows = list(beyond[: page_size + 1])
    return AuditPage(rows=rows[:page_size][::-1], has_older=True, has_newer=len(rows) > page_size)
