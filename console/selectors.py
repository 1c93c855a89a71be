"""Reads of tenancy data: accounts by credentials, memberships, keys, audit events."""

from django.db.models import QuerySet

from console.models import Account, ApiKey, AuditEvent, Membership
from console.sids import is_sid


def account_for_credentials(*, sid: str, secret: str) -> Account | None:
    """Return the account these Basic credentials authenticate, or None."""
    if is_sid(sid, "AC"):
        account = Account.objects.filter(sid=sid).first()
        return account if account is not None and account.check_auth_token(secret) else None
    if is_sid(sid, "SK"):
        key = (
            ApiKey.objects.select_related("account")
            .filter(sid=sid, date_revoked__isnull=True)
            .first()
        )
        return key.account if key is not None and key.check_secret(secret) else None
    return None


def memberships_of_user(*, user) -> QuerySet[Membership]:
    """Return the accounts a console user belongs to, with their roles."""
    return (
        Membership.objects.filter(user=user)
        .select_related("account")
        .order_by("account__friendly_name", "account__sid")
    )


def audit_events(*, account: Account) -> QuerySet[AuditEvent]:
    """Return an account's audit events, newest first."""
    return AuditEvent.objects.filter(account=account).order_by("-date_created", "-id")


def account_get(*, sid: str) -> Account | None:
    """Return the account with this SID, or None."""
    return Account.objects.filter(sid=sid).first() if is_sid(sid, "AC") else None
