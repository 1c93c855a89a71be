"""Serve a media file behind a signed URL, with HTTP Range so players can seek; send the console's
players and downloads there.

Django's FileResponse ignores ``Range`` and always answers 200 with the whole file, so ranges are
handled here: one ``bytes=`` range answers 206, an unsatisfiable one 416, anything else the file.
Behind nginx (``MEDIA_ACCEL_REDIRECT``), Django still decides whether a URL may be served, and
hands the bytes, ranges included, to nginx's internal location with ``X-Accel-Redirect``.
"""

import re
from collections.abc import Iterator
from typing import BinaryIO, Literal
from urllib.parse import quote

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.views.decorators.http import require_safe

from recordings.media.keys import check_key
from recordings.media.signed import MediaGrant, read_grant, still_servable
from recordings.media.store import CHUNK_SIZE, MediaStore, get_media_store
from recordings.twilio_api.errors import json_error

# A position of more than 100 digits is treated as malformed: int() of thousands of digits raises.
_RANGE = re.compile(r"bytes=([0-9]{0,100})-([0-9]{0,100})")


def disposition(request: HttpRequest, filename: str) -> str:
    """Return the Content-Disposition a media link asks for: an attachment with ?download=1."""
    kind = "attachment" if request.GET.get("download") == "1" else "inline"
    return f'{kind}; filename="{filename}"'


def media_redirect(url: str) -> HttpResponseRedirect:
    """Redirect to a signed media URL, which nobody may cache: it expires."""
    response = redirect(url)
    response["Cache-Control"] = "private, no-store"
    return response


def parse_range(header: str | None, size: int) -> tuple[int, int] | Literal[False] | None:
    """Return the (first, last) byte of a single satisfiable range, None to serve the whole file,
    or False when the range cannot be satisfied.

    Multiple ranges and malformed headers are ignored, as RFC 9110 allows.
    """
    match = _RANGE.fullmatch((header or "").strip())
    if match is None:
        return None
    first, last = match.groups()
    if first == "" and last == "":
        return None
    if first == "":  # a suffix: the last N bytes
        length = int(last)
        if length == 0:
            return False
        return (max(size - length, 0), size - 1) if size else None
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if last and int(last) < start:
        return None
    return (start, end) if start < size else False


def _chunks(stream: BinaryIO, start: int, length: int) -> Iterator[bytes]:
    with stream:
        stream.seek(start)
        while length > 0:
            chunk = stream.read(min(CHUNK_SIZE, length))
            if not chunk:
                return
            length -= len(chunk)
            yield chunk


def _stored(store: MediaStore, key: str) -> bool:
    """Tell whether key is a plain key of the store holding a file; a key that would lead out of
    it (only a token signed with our key can carry one) is simply not stored."""
    try:
        return store.exists(key)
    except ValueError:
        return False


def _grant_headers(response: HttpResponseBase, grant: MediaGrant) -> HttpResponseBase:
    response["Content-Type"] = grant.content_type
    response["Content-Disposition"] = grant.disposition
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = "private, max-age=0"
    return response


def accel_redirect(grant: MediaGrant) -> HttpResponseBase:
    """Return the empty answer that has nginx serve the granted file (whole or by Range) from
    its internal location; the key is checked again, so nothing outside the media root is named,
    and quoted, as nginx unquotes the header before it maps it onto the folder."""
    response = HttpResponse()
    response["X-Accel-Redirect"] = settings.MEDIA_ACCEL_REDIRECT + quote(check_key(grant.key))
    return _grant_headers(response, grant)


@require_safe
def serve_signed_media(request: HttpRequest, token: str) -> HttpResponseBase:
    """Stream the file a signed URL grants, whole or by range; 403 if altered or expired, 404
    once its recording is deleted (even while the file waits for removal) or the file is gone."""
    grant = read_grant(token)
    if grant is None:
        return json_error(20403, "This media URL is invalid or has expired", 403)
    store = get_media_store()
    if not still_servable(grant) or not _stored(store, grant.key):
        return json_error(20404, "The media file no longer exists", 404)
    if settings.MEDIA_ACCEL_REDIRECT:
        return accel_redirect(grant)
    size = store.size(grant.key)
    byte_range = parse_range(request.headers.get("Range"), size)
    if byte_range is False:
        refused = HttpResponse(status=416)
        refused["Content-Range"] = f"bytes */{size}"
        return refused
    start, end = byte_range or (0, size - 1)
    length = end - start + 1 if size else 0
    body = [] if request.method == "HEAD" else _chunks(store.open(grant.key), start, length)
    response = StreamingHttpResponse(body, status=206 if byte_range else 200)
    if byte_range:
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Content-Length"] = str(length)
    return _grant_headers(response, grant)
