"""The ``X-Twilio-Signature`` of a status callback, and the URL it is sent to.

Twilio signs a callback with HMAC-SHA1 keyed by the account's auth token, over the full URL
followed, for a POST, by every form parameter's name and value sorted by name; the result is
base64-encoded. ``twilio.request_validator.RequestValidator`` checks exactly this.
"""

import base64
import hashlib
import hmac
from collections.abc import Mapping
from urllib.parse import urlencode, urlsplit, urlunsplit

from requests.utils import requote_uri


def request_url(url: str, method: str, params: Mapping[str, str]) -> str:
    """Return the URL a callback is sent to, exactly as it goes on the wire (percent-encoded, so
    that the receiver validates the signature over the URL it received); for GET, with the
    parameters in its query."""
    if method == "GET":
        parts = urlsplit(url)
        query = "&".join(q for q in (parts.query, urlencode(sorted(params.items()))) if q)
        url = urlunsplit(parts._replace(query=query))
    return requote_uri(url)


def signature(auth_token: str, url: str, method: str, params: Mapping[str, str]) -> str:
    """Return the X-Twilio-Signature of a callback sent to ``url`` by ``method``."""
    payload = request_url(url, method, params)  # the URL as sent, as the receiver sees it
    if method != "GET":
        payload += "".join(f"{name}{params[name]}" for name in sorted(params))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()
