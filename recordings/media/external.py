"""External S3 storage: an account's recordings written to its own bucket (RecordingSettings).

``AwsS3Url`` names the bucket and a path in it, in any of the usual forms:

* ``https://BUCKET.s3.amazonaws.com/path/`` or ``https://BUCKET.s3.REGION.amazonaws.com/path/``
  (virtual-hosted),
* ``https://s3.REGION.amazonaws.com/BUCKET/path/`` (path style),
* ``https://BUCKET/path`` (Twilio's own example: the host is the bucket),
* ``<AWS_S3_ENDPOINT_URL>/BUCKET/path`` (path style on the configured S3-compatible server).

Every request to an account's bucket is signed with the AWS credentials its ``AwsCredentialsSid``
names (``/v1/Credentials/AWS``). This process's own ``AWS_*`` credentials sign only for buckets the
operator lists in ``EXTERNAL_S3_ALLOWED_BUCKETS``: otherwise any account could have Roomvault write
into any bucket those credentials reach.

A bucket that refuses a write or cannot be reached is the account's to fix, not a fault of ours:
``ExternalStoreFailed`` (a MediaStoreUnavailable, so an upload answers 503 and can be retried).
"""

import re
from dataclasses import dataclass
from typing import BinaryIO, Protocol
from urllib.parse import quote, unquote, urlsplit

from botocore.exceptions import ClientError
from django.conf import settings
from django.db.models import Model

from console.models import AwsCredential
from recordings.media.s3 import S3MediaStore
from recordings.media.store import MediaStore, MediaStoreUnavailable, get_media_store

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


class ExternalStoreFailed(MediaStoreUnavailable):
    """An account's own bucket refused a write or could not be reached: retry once it works."""


def operator_credentials_allowed(bucket: str) -> bool:
    """Tell whether this process's own AWS credentials may sign for an account's bucket."""
    return bucket in settings.EXTERNAL_S3_ALLOWED_BUCKETS


class ExternalS3Store(S3MediaStore):
    """An account's bucket: any failure to write there is ExternalStoreFailed, naming the bucket
    and S3's error code only (S3's message may describe the signer's identity)."""

    def save(self, key: str, stream: BinaryIO, *, account_sid: str) -> int:
        try:
            return super().save(key, stream, account_sid=account_sid)
        except MediaStoreUnavailable as exc:
            raise ExternalStoreFailed(f"The S3 bucket {self.bucket} cannot be reached") from exc
        except (ClientError, FileNotFoundError) as exc:
            # A missing bucket comes back from the store as FileNotFoundError over its ClientError.
            cause = exc if isinstance(exc, ClientError) else exc.__cause__
            code = (
                cause.response.get("Error", {}).get("Code", "an error")
                if isinstance(cause, ClientError)
                else "an error"
            )
            raise ExternalStoreFailed(
                f"The S3 bucket {self.bucket} refused the write ({code})"
            ) from exc


def external_store(
    *, account_id: str, location: S3Location, credentials_sid: str | None
) -> MediaStore:
    """Return the store of an account's bucket (its keys under the location's path), signing as
    the account's credentials, or as this process only for an allowed bucket; raise
    ExternalStoreFailed when neither applies."""
    bucket = location.bucket
    if credentials_sid:
        credential = AwsCredential.objects.filter(
            account_id=account_id, sid=credentials_sid
        ).first()
        if credential is None:
            raise ExternalStoreFailed(f"The AWS credentials {credentials_sid} no longer exist")
        return ExternalS3Store(
            bucket,
            root=location.prefix,
            credentials=(credential.access_key_id, credential.secret_access_key()),
        )
    if operator_credentials_allowed(bucket):
        return ExternalS3Store(bucket, root=location.prefix)
    raise ExternalStoreFailed(
        f"The S3 bucket {bucket} can be used only with the account's own AWS credentials "
        "(AwsCredentialsSid)"
    )


class StorageSettings(Protocol):
    """An account's storage settings (recordings' or compositions'): where new media goes."""

    account_id: str
    aws_storage_enabled: bool
    aws_s3_url: str | None
    aws_credentials_sid: str | None
    encryption_key_sid: str | None
    encryption_enabled: bool


def destination(options: StorageSettings | None, key: str) -> tuple[MediaStore, str, str | None]:
    """Return where a new file of this key goes: (store, key, media_external_location).

    With AwsStorageEnabled the file goes to the account's own bucket, under its AwsS3Url path,
    signed with the credentials its AwsCredentialsSid names.
    """
    if options is None or not options.aws_storage_enabled or not options.aws_s3_url:
        return get_media_store(), key, None
    location = parse_s3_url(options.aws_s3_url)
    full_key = location.prefix + key
    return (
        external_store(
            account_id=options.account_id,
            location=location,
            credentials_sid=options.aws_credentials_sid,
        ),
        full_key,
        object_url(options.aws_s3_url, location, full_key),
    )


def stored_at(
    *, account_id: str, key: str, external_location: str | None, settings_model: type[Model]
) -> MediaStore:
    """Return the store holding a file: its account's bucket when it has an external location,
    read with the credentials the account's row of ``settings_model`` (the recording or the
    composition settings) names now; else ours."""
    if not external_location:
        return get_media_store()
    credentials_sid = (
        settings_model._default_manager.filter(account_id=account_id)
        .values_list("aws_credentials_sid", flat=True)
        .first()
    )
    # The bucket's path is what the key holds before the account's own prefix.
    root = key[: max(key.find(f"{account_id}/"), 0)]
    return external_store(
        account_id=account_id,
        location=S3Location(bucket=parse_s3_url(external_location).bucket, prefix=root),
        credentials_sid=credentials_sid,
    )
