"""Tenancy and access: accounts, their members, their API keys and the audit trail."""

import hashlib
import hmac
import secrets

from django.conf import settings
from django.db import models

from console.roles import Role, Scope
from console.sealing import seal, unseal
from console.sids import sid_primary_key

AWS_SECRET_PURPOSE = "aws-credentials"


def new_secret() -> str:
    """Return a fresh 32-hex-digit secret, the shape of a Twilio auth token."""
    return secrets.token_hex(16)


def secret_digest(secret: str) -> str:
    """Return the stored form of an API key secret.

    Secrets are 128 random bits, so a fast hash is as safe as a slow one and keeps every API request
    cheap; a password hasher would add hundreds of milliseconds per call.
    """
    return hashlib.sha256(secret.encode()).hexdigest()


AUTH_TOKEN_PURPOSE = "auth-token"


def auth_token_sealed(token: str) -> tuple[str, str]:
    """Return the stored forms of an auth token: sealed (to sign with) and digest (to check)."""
    return seal(token, purpose=AUTH_TOKEN_PURPOSE), secret_digest(token)


class Account(models.Model):
    """A tenant: every recording, room and key belongs to exactly one account."""

    sid = sid_primary_key("AC")
    friendly_name = models.CharField(max_length=255)
    # Callbacks are signed with the auth token (X-Twilio-Signature, like Twilio), so it must stay
    # retrievable: it is kept sealed with a key that is not in the database, and requests are
    # checked against its digest (cheap, constant time, no decryption per request).
    auth_token_sealed = models.TextField(editable=False)
    auth_token_digest = models.CharField(max_length=64, editable=False)
    # Twilio's secondary token: it authenticates too, until it is promoted or deleted.
    secondary_auth_token_sealed = models.TextField(blank=True, editable=False)
    secondary_auth_token_digest = models.CharField(max_length=64, blank=True, editable=False)
    secondary_auth_token_date_created = models.DateTimeField(null=True, blank=True)
    # Opt-in: a delete keeps the media TRASH_DAYS, restorable by admins (recordings.lifecycle).
    # Off, a delete is final as on Twilio. A database default too: code of the release before,
    # still running during a rolling upgrade, inserts accounts without the column.
    trash_enabled = models.BooleanField(default=False, db_default=False)
    date_created = models.DateTimeField(auto_now_add=True)
    date_updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["friendly_name", "sid"]

    def __str__(self) -> str:
        return f"{self.friendly_name} ({self.sid})"

    def save(self, *args, **kwargs):
        # Every account has an auth token from its first save, whoever creates it.
        if not self.auth_token_digest:
            self.auth_token = new_secret()
        super().save(*args, **kwargs)

    @property
    def auth_token(self) -> str:
        """Return the primary auth token in clear (to sign callbacks or hand to its owner)."""
        if self.__dict__.get("_auth_token_of") != self.auth_token_sealed:
            self._auth_token = unseal(self.auth_token_sealed, purpose=AUTH_TOKEN_PURPOSE)
            self._auth_token_of = self.auth_token_sealed
        return self._auth_token

    @auth_token.setter
    def auth_token(self, token: str) -> None:
        self.auth_token_sealed, self.auth_token_digest = auth_token_sealed(token)

    def check_auth_token(self, token: str) -> bool:
        """Tell whether token is this account's primary or secondary auth token, in constant
        time."""
        digest = secret_digest(token)
        primary = hmac.compare_digest(self.auth_token_digest, digest)
        secondary = hmac.compare_digest(self.secondary_auth_token_digest, digest)
        return primary or secondary


class Membership(models.Model):
    """A console user's role in one account."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices)
    date_created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "account"], name="membership_unique_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user} is {self.role} of {self.account_id}"


class ApiKey(models.Model):
    """An API key (SK…): its secret is shown once at creation and stored only as a digest; its
    scope says what it may do (console.roles)."""

    sid = sid_primary_key("SK")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="api_keys")
    friendly_name = models.CharField(max_length=255, blank=True)
    scope = models.CharField(max_length=16, choices=Scope.choices, default=Scope.STANDARD)
    secret_hash = models.CharField(max_length=64)
    date_created = models.DateTimeField(auto_now_add=True)
    date_revoked = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.sid

    def check_secret(self, secret: str) -> bool:
        """Tell whether secret is this key's secret, in constant time."""
        return hmac.compare_digest(self.secret_hash, secret_digest(secret))


class AwsCredential(models.Model):
    """AWS credentials (CR…) an account stored to sign the writes into its own S3 bucket.

    The secret is sealed (console.sealing) and never shown again after it is given.
    """

    sid = sid_primary_key("CR")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="aws_credentials")
    friendly_name = models.CharField(max_length=64, blank=True)
    access_key_id = models.CharField(max_length=128)
    secret_sealed = models.TextField()
    date_created = models.DateTimeField(auto_now_add=True)
    date_updated = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.sid

    def secret_access_key(self) -> str:
        """Return the secret, unsealed for signing requests (never for display)."""
        return unseal(self.secret_sealed, purpose=AWS_SECRET_PURPOSE)


class AuditEvent(models.Model):
    """Who did what to which object, when and from where; written by the service that acted."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="audit_events")
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    # "user:<email>", "api:<AC…|SK…>" or "system": survives the user's removal.
    actor = models.CharField(max_length=255)
    action = models.CharField(max_length=64)
    object_sid = models.CharField(max_length=34, blank=True)
    object_repr = models.CharField(max_length=255, blank=True)
    # The SIDs an action on many objects touched (a bulk deletion's chunk), space-separated.
    detail = models.TextField(blank=True)
    source_ip = models.GenericIPAddressField(null=True, blank=True)
    date_created = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["account", "-date_created", "-id"], name="audit_account_date")
        ]

    def __str__(self) -> str:
        return f"{self.actor} {self.action} {self.object_sid}"


class Invitation(models.Model):
    """An invitation to join an account with a role: a single-use link that expires.

    Only the digest of the link's token is stored (the token is mailed, or shown once to the
    inviter when no mail server is configured), so nobody reading the database can use it.
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=16, choices=Role.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    date_created = models.DateTimeField(auto_now_add=True)
    expires = models.DateTimeField()
    date_accepted = models.DateTimeField(null=True, blank=True)
    date_revoked = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["account", "email"], name="invitation_account_email")]

    def __str__(self) -> str:
        return f"{self.email} as {self.role} of {self.account_id}"

    def unusable_because(self, now) -> str | None:
        """Return why the link can no longer be used at ``now`` ("accepted", "revoked",
        "expired"), or None while it can."""
        if self.date_accepted is not None:
            return "accepted"
        if self.date_revoked is not None:
            return "revoked"
        if now >= self.expires:
            return "expired"
        return None
