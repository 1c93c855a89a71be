"""External S3 storage: an account's recordings written to its own bucket (RecordingSettings).

``AwsS3Url`` names the bucket and a path in it, in any of the usual forms:

* ``https://BUCKET.s3.amazonaws.com/path/`` or ``https://BUCKET.s3.REGION.amazonaws.com/path/``
  (virtual-hosted),
* ``https://s3.REGION.amazonaws.com/BUCKET/path/`` (path style),
* ``https://BUCKET/path`` (Twilio's own example: the host is the bucket),
* ``<AWS_S3_ENDPOINT_URL>/BUCKET/path`` (path style on the configured S3-compatible server).

Objects are written with this process's S3 credentials (``AWS_*`` settings); ``AwsCredentialsSid``
is kept and returned but not used to sign (Roomvault has no AWS Credential resources).
"""

import re
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

from django.conf import settings

from recordings.media.store import MediaStore, get_media_store

_VIRTUAL_HOSTED = re.compile(r"^(?P<bucket>.+)\.s3(?:[.-][a-z0-9-]+)?\.amazonaws\.com$")
_PATH_STYLE = re.compile(r"^s3(?:[.-][a-z0-9-]+)?\.amazonaws\.com$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


class InvalidS3Url(ValueError):
    """The URL does not name an S3 bucket."""


@dataclass(frozen=True)
class S3Location:
    bucket: str
    prefix: str  # "" or ending in "/"


def on_configured_endpoint(url: str) -> bool:
    """Tell whether a URL is on this installation's own S3 server (``AWS_S3_ENDPOINT_URL``)."""
    endpoint = urlsplit(settings.AWS_S3_ENDPOINT_URL or "")
    return bool(endpoint.netloc) and urlsplit(url).netloc.lower() == endpoint.netloc.lower()


def parse_s3_url(url: str) -> S3Location:
    """Return the bucket and key prefix an AwsS3Url names, or raise InvalidS3Url."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidS3Url("must be an http(s) URL")
    host = parts.hostname.lower()
    path = unquote(parts.path).lstrip("/")
    if on_configured_endpoint(url) or _PATH_STYLE.match(host):
        bucket, _, path = path.partition("/")
    elif match := _VIRTUAL_HOSTED.match(host):
        bucket = match["bucket"]
    else:
        bucket = host
    if not _BUCKET.match(bucket):
        raise InvalidS3Url("does not name an S3 bucket")
    prefix = path.strip("/")
    return S3Location(bucket=bucket, prefix=f"{prefix}/" if prefix else "")


def object_url(aws_s3_url: str, location: S3Location, key: str) -> str:
    """Return the URL of the object ``key`` (a full key in the bucket) under ``aws_s3_url``."""
    parts = urlsplit(aws_s3_url)
    relative = key.removeprefix(location.prefix)
    base = f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"
    return f"{base}/{quote(relative)}"


def s3_store(bucket: str) -> MediaStore:
    """Return a media store writing to ``bucket`` with this process's S3 settings."""
    from recordings.media.s3 import S3MediaStore

    return S3MediaStore(bucket)


def media_store_for(recording) -> MediaStore:
    """Return the store holding a recording's media: its account's bucket, or ours."""
    if recording.media_external_location:
        return s3_store(parse_s3_url(recording.media_external_location).bucket)
    return get_media_store()
