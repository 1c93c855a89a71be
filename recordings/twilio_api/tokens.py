"""The opaque ``PageToken``: a signed keyset cursor (the date and SID of the row a page starts
after), so a page deep in a list costs what the first one does, and a token cannot be forged or
mistyped into reading something else. The console's list pages carry the same tokens.
"""

from datetime import datetime

from django.core import signing

from recordings.twilio_api.errors import INVALID_PAGE_TOKEN, TwilioAPIError
from recordings.twilio_api.keyset import Cursor, Keyed

_TOKEN_SALT = "roomvault.api.page-token"


def encode_token(row: Keyed, *, forward: bool) -> str:
    """Return the token of the page that starts after (or, backwards, before) ``row``."""
    payload = [row.date_created.isoformat(), row.sid, 1 if forward else 0]
    return signing.dumps(payload, salt=_TOKEN_SALT, compress=False)


def decode_token(token: str) -> Cursor:
    """Return the cursor in a token, or raise error 21481 for anything we did not issue."""
    try:
        date_created, sid, forward = signing.loads(token, salt=_TOKEN_SALT)
        return Cursor(datetime.fromisoformat(date_created), str(sid), bool(forward))
    except (signing.BadSignature, ValueError, TypeError):
        raise TwilioAPIError(INVALID_PAGE_TOKEN, f"Invalid PageToken: {token[:64]}") from None
