"""Signed, expiring media URLs for the local store: the URL itself is the permission to read.

This plays the part of an S3 presigned URL: anyone holding it may read that one file, with the
content type and disposition chosen when it was issued, until it expires, and only while the
recording it was issued for is still servable: a recording deleted after its URL was handed out
stops being served at once, not when a worker gets round to removing the file.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass

from django.core import signing
from django.urls import reverse

_SALT = "roomvault.media.url"
# How to tell whether a recording may still be served, by the two letters of its SID. Each kind
# of recording registers its own check (recordings.apps), so this module imports no model.
_SERVABLE: dict[str, Callable[[str], bool]] = {}


@dataclass(frozen=True)
class MediaGrant:
    """What a valid signed URL allows: one key, served with these headers."""

    key: str
    sid: str
    content_type: str
    disposition: str
    expires: int


def signed_media_url(
    *, base_url: str, key: str, sid: str, ttl: int, content_type: str, disposition: str
) -> str:
    """Return an absolute URL that serves key, the media of recording sid, for ttl seconds."""
    payload = [key, sid, content_type, disposition, int(time.time()) + ttl]
    token = signing.dumps(payload, salt=_SALT, compress=True)
    return base_url + reverse("signed-media", kwargs={"token": token})


def read_grant(token: str) -> MediaGrant | None:
    """Return the grant in a token, or None if it is altered, malformed or expired."""
    try:
        key, sid, content_type, disposition, expires = signing.loads(token, salt=_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(expires, int) or expires < time.time():
        return None
    return MediaGrant(str(key), str(sid), str(content_type), str(disposition), expires)


def register_servable(prefix: str, check: Callable[[str], bool]) -> None:
    """Declare how to tell whether a recording whose SID starts with prefix may be served."""
    _SERVABLE[prefix] = check


def still_servable(grant: MediaGrant) -> bool:
    """Tell whether the recording a grant was issued for may still be served (a SID of no
    registered kind may not)."""
    check = _SERVABLE.get(grant.sid[:2])
    return check is not None and check(grant.sid)
