"""HTTP Basic authentication the way Twilio does it: AccountSid:AuthToken or ApiKeySid:Secret."""

from dataclasses import dataclass

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from console import selectors
from console.models import Account


@dataclass(frozen=True)
class ApiCaller:
    """Who is calling the API: the account, and the key or account SID that authenticated."""

    account: Account
    credential_sid: str

    is_authenticated = True

    @property
    def actor(self) -> str:
        """Return how the audit log names this caller."""
        return f"api:{self.credential_sid}"


class TwilioBasicAuthentication(authentication.BasicAuthentication):
    """Authenticate with an account SID and auth token, or an API key SID and secret.

    ``request.user`` becomes an ``ApiCaller`` and ``request.auth`` the caller's ``Account``.
    """

    www_authenticate_realm = "Twilio API"

    def authenticate_credentials(self, userid, password, request=None):
        """Return (caller, account) for valid credentials; refuse everything else alike."""
        account = selectors.account_for_credentials(sid=userid, secret=password)
        if account is None:
            raise exceptions.AuthenticationFailed("Authenticate")
        return ApiCaller(account=account, credential_sid=userid), account


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
