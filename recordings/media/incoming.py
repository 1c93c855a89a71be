"""Receive an uploaded media file: the raw request body of a declared length, streamed to a
temporary file a chunk at a time, never held whole in memory."""

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from django.conf import settings
from rest_framework import status
from rest_framework.request import Request

from recordings.media.store import CHUNK_SIZE
from recordings.twilio_api.errors import REQUEST_TOO_LARGE, TwilioAPIError, invalid_parameter


@contextmanager
def uploaded_file(request: Request) -> Iterator[Path]:
    """Yield the path of a temporary copy of the request body, removed on leaving; refuse a body
    without a Content-Length or larger than INGEST_MAX_UPLOAD_BYTES before reading any of it."""
    length = _content_length(request)
    with tempfile.NamedTemporaryFile(prefix="roomvault-upload-") as file:
        _copy_body(request, file, length)
        yield Path(file.name)


def _content_length(request: Request) -> int:
    """Return the declared length of the body, which a request must declare and keep in bounds."""
    raw = request.META.get("CONTENT_LENGTH") or ""
    if not raw.isascii() or not raw.isdigit():
        raise TwilioAPIError(
            20001, "Content-Length is required for uploads", status.HTTP_411_LENGTH_REQUIRED
        )
    if int(raw) > settings.INGEST_MAX_UPLOAD_BYTES:
        raise TwilioAPIError(
            REQUEST_TOO_LARGE,
            f"The file is larger than {settings.INGEST_MAX_UPLOAD_BYTES} bytes",
            status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    return int(raw)


def _copy_body(request: Request, file: IO[bytes], length: int) -> None:
    """Stream the request body to a file, a chunk at a time: never the whole file in memory."""
    remaining = length
    while remaining > 0:
        chunk = request.stream.read(min(CHUNK_SIZE, remaining))
        if not chunk:
            raise invalid_parameter("body", f"the upload ended {remaining} bytes short")
        file.write(chunk)
        remaining -= len(chunk)
    file.flush()
