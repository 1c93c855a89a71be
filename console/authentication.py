"""HTTP Basic authentication the way Twilio does it: AccountSid:AuthToken or ApiKeySid:Secret,
and the permission that holds every API and ingest request to the caller's scope."""

import copy
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions

from console import selectors
from console.models import Account, ApiKey
from console.roles import Action, scope_allows, scopes_allowing

# How long a process trusts a credential it verified without asking the database again: the
# longest a revoked key or a replaced auth token may still be let in (by the process that saw it).
CREDENTIAL_CACHE_SECONDS = 1.0


@dataclass(frozen=True)
class ApiCaller:
    """Who is calling the API: the account, the key or account SID that authenticated, and what
    that credential may do (an auth token is ``main``)."""

    account: Account
    credential_sid: str
    scope: str

    is_authenticated = True

    @property
    def actor(self) -> str:
        """Return how the audit log names this caller."""
        return f"api:{self.credential_sid}"


class VerifiedCredentials:
    """Credentials this process verified in the last ``ttl`` seconds: their account and scope.

    Saves the credential query (and its ORM work) of every request but the first each second.
    An entry is keyed by a digest of the SID and the secret together, so it holds no secret, a
    wrong secret never matches one, and a SID only ever finds its own account; refusals are
    never stored.
    """

    max_entries = 10_000  # a bound on memory whatever callers present; past it, start afresh

    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic):
        self.ttl = ttl
        self.clock = clock
        self.entries: dict[bytes, tuple[float, Account, str]] = {}

    def __len__(self) -> int:
        return len(self.entries)

    @staticmethod
    def _key(sid: str, secret: str) -> bytes:
        return hashlib.sha256(f"{sid}:{secret}".encode()).digest()

    def get(self, sid: str, secret: str) -> tuple[Account, str] | None:
        """Return (account, scope) if these credentials were verified less than ttl ago."""
        found = self.entries.get(self._key(sid, secret))
        if found is None or self.clock() - found[0] >= self.ttl:
            return None
        # A copy: what a request changes on its account in memory must not reach the next one.
        return copy.copy(found[1]), found[2]

    def put(self, sid: str, secret: str, account: Account, scope: str) -> None:
        """Remember credentials the database just verified."""
        if len(self.entries) >= self.max_entries:
            self.entries.clear()
        self.entries[self._key(sid, secret)] = (self.clock(), copy.copy(account), scope)

    def clear(self) -> None:
        self.entries.clear()


verified_credentials = VerifiedCredentials(ttl=CREDENTIAL_CACHE_SECONDS)


@receiver([post_save, post_delete], sender=ApiKey)
@receiver([post_save, post_delete], sender=Account)
def _forget_verified_credentials(**kwargs) -> None:
    # Not a business event but this process's cache: the process that revokes a key or replaces
    # a token refuses the old one at once; the others within CREDENTIAL_CACHE_SECONDS.
    verified_credentials.clear()


class TwilioBasicAuthentication(authentication.BasicAuthentication):
    """Authenticate with an account SID and auth token, or an API key SID and secret.

    ``request.user`` becomes an ``ApiCaller`` and ``request.auth`` the caller's ``Account``.
    """

    www_authenticate_realm = "Twilio API"

    def authenticate_credentials(self, userid, password, request=None):
        """Return (caller, account) for valid credentials; refuse everything else alike."""
        found = verified_credentials.get(userid, password)
        if found is None:
            found = selectors.account_for_credentials(sid=userid, secret=password)
            if found is None:
                raise exceptions.AuthenticationFailed("Authenticate")
            verified_credentials.put(userid, password, *found)
        account, scope = found
        return ApiCaller(account=account, credential_sid=userid, scope=scope), account


class TwilioBasicAuthenticationScheme(OpenApiAuthenticationExtension):
    """Describe the Basic scheme in our OpenAPI schema under Twilio's own name for it."""

    target_class = TwilioBasicAuthentication
    name = "accountSid_authToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "basic"}


class ApiKeyAuthentication(TwilioBasicAuthentication):
    """Basic authentication with an API key only: what a media server is given, never the
    account's auth token."""

    def authenticate_credentials(self, userid, password, request=None):
        if not userid.startswith("SK"):
            raise exceptions.AuthenticationFailed("Authenticate")
        return super().authenticate_credentials(userid, password, request)


class ApiKeyAuthenticationScheme(TwilioBasicAuthenticationScheme):
    target_class = ApiKeyAuthentication
    name = "apiKey_secret"


def action_for_method(method: str) -> str:
    """Return the action a request needs by its method alone: reads need VIEW, DELETE needs
    DELETE, any other write (create a room or a call recording, end or pause one, edit rules)
    EDIT_RULES."""
    if method in permissions.SAFE_METHODS:
        return Action.VIEW
    return Action.DELETE if method == "DELETE" else Action.EDIT_RULES


class ScopeAllowsAction(permissions.BasePermission):
    """Let a request through only when the caller's scope allows the action it needs.

    A view names that action in ``required_action`` (one action for all its methods, e.g.
    ``Action.ADMINISTER`` for settings and credentials, ``Action.INGEST`` for /ingest/v1);
    without it the method decides (``action_for_method``).
    """

    def has_permission(self, request, view) -> bool:
        caller = request.user
        if not isinstance(caller, ApiCaller):
            return False  # DRF answers 401 to a request that did not authenticate
        action = getattr(view, "required_action", None) or action_for_method(request.method)
        if scope_allows(caller.scope, action):
            return True
        # DRF raises PermissionDenied with this message; the API renders it as Twilio's 20403.
        *others, last = scopes_allowing(action)
        needed = f"{', '.join(others)} or {last}" if others else last
        self.message = (
            f"This request needs an API key of scope {needed}; "
            f"{caller.credential_sid} has scope {caller.scope}"
        )
        return False
