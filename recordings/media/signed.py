"""Signed, expiring media URLs for the local store: the URL itself is the permission to read.

This plays the part of an S3 presigned URL: anyone holding it may read that one file, with the
content type and disposition chosen when it was issued, until it expires.
"""

import time
from dataclasses import dataclass

from django.core import signing
from django.urls import reverse

_SALT = "roomvault.media.url"


@dataclass(frozen=True)
class MediaGrant:
    """What a valid signed URL allows: one key, served with these headers."""

    key: str
    content_type: str
    disposition: str
    expires: int


def signed_media_url(
    *, base_url: str, key: str, ttl: int, content_type: str, disposition: str
) -> str:
    """Return an absolute URL that serves key for ttl seconds."""
    payload = [key, content_type, disposition, int(time.time()) + ttl]
    token = signing.dumps(payload, salt=_SALT, compress=True)
    return base_url + reverse("signed-media", kwargs={"token": token})


def read_grant(token: str) -> MediaGrant | None:
    """Return the grant in a token, or None if it is altered, malformed or expired."""
    try:
        key, content_type, disposition, expires = signing.loads(token, salt=_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(expires, int) or expires < time.time():
        return None
    return MediaGrant(str(key), str(content_type), str(disposition), expires)
