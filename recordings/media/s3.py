"""The S3 media store: recording files in a bucket (AWS or any S3-compatible server), via boto3.

Media is served by presigned ``get_object`` URLs, so bytes never pass through Django and Range
requests are S3's own business. One boto3 client per process and credentials: creating one costs
about 200 ms, presigning with a cached one about 0.2 ms.
"""

import contextlib
import functools
import io
from collections.abc import Iterator
from typing import Any, BinaryIO

import boto3
from botocore.config import Config
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from django.conf import settings

from recordings.media.keys import MediaKeyTaken, MediaStoreUnavailable, UnsafeMediaKey, check_key

# Anything that means "the store did not answer", as opposed to "the store said no".
_UNREACHABLE = (
    EndpointConnectionError,
    ConnectTimeoutError,
    ReadTimeoutError,
    ConnectionClosedError,
)
_NOT_FOUND = {"404", "NoSuchKey", "NotFound"}
# A conditional write refused: something is stored under the key (or is being, concurrently).
# S3's most keys in one DeleteObjects request.
DELETE_BATCH = 1000
_TAKEN = {"PreconditionFailed", "ConditionalRequestConflict"}


# Bounded: every account with its own AWS credentials (media.external) adds a client.
@functools.lru_cache(maxsize=256)
def s3_client(endpoint_url: str | None, region: str, access_key: str, secret_key: str) -> Any:
    """Return this process's boto3 S3 client for these settings and credentials (built once,
    then reused)."""
    config = Config(
        signature_version="s3v4",
        # A custom endpoint (MinIO, moto, Ceph…) rarely has wildcard DNS for virtual hosts.
        s3={"addressing_style": "path" if endpoint_url else "auto"},
        connect_timeout=5,
        read_timeout=30,
        retries={"max_attempts": 3, "mode": "standard"},
    )
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint_url or None,
        region_name=region or None,
        aws_access_key_id=access_key or None,
        aws_secret_access_key=secret_key or None,
        config=config,
    )


def _read_full(stream: BinaryIO, size: int) -> bytes:
    """Read ``size`` bytes, fewer only at the end of the stream (a raw stream may give less)."""
    parts, wanted = [], size
    while wanted and (data := stream.read(wanted)):
        parts.append(data)
        wanted -= len(data)
    return b"".join(parts)


def _not_found(exc: ClientError) -> bool:
    error = exc.response.get("Error", {})
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return str(error.get("Code")) in _NOT_FOUND or status == 404


class _S3ReadStream(io.RawIOBase):
    """A read-only, seekable view of one object: reads stream the body, a seek reopens it with a
    ``Range`` from the new position."""

    def __init__(self, store: "S3MediaStore", key: str):
        self._store = store
        self._key = key
        self._pos = 0
        self._body = None
        self._size = 0
        self._open_at(0)

    def _open_at(self, position: int) -> None:
        if self._body is not None:
            self._body.close()
            self._body = None
        if position and position >= self._size:
            self._pos = position
            return
        kwargs = {"Range": f"bytes={position}-"} if position else {}
        response = self._store._call("get_object", Key=self._key, **kwargs)
        if not position:
            self._size = response["ContentLength"]
        self._body = response["Body"]
        self._pos = position

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_CUR:
            offset += self._pos
        elif whence == io.SEEK_END:
            offset += self._size
        if offset < 0:
            raise ValueError("negative seek position")
        if offset != self._pos or self._body is None:
            self._open_at(offset)
        return self._pos

    def readinto(self, buffer: Any) -> int:  # a memoryview; typeshed's Buffer has no len()
        if self._body is None:
            return 0
        try:
            data = self._body.read(len(buffer))
        except _UNREACHABLE as exc:
            raise MediaStoreUnavailable(str(exc)) from exc
        buffer[: len(data)] = data
        self._pos += len(data)
        return len(data)

    def close(self) -> None:
        if self._body is not None:
            self._body.close()
            self._body = None
        super().close()


class S3MediaStore:
    """Media files as objects in one bucket, accounts' keys under ``root`` ("" for ours, an
    account bucket's path for its own).

    Requests are signed with ``credentials`` (access key ID, secret) when given, else with this
    process's ``AWS_*`` settings.
    """

    def __init__(self, bucket: str, root: str = "", *, credentials: tuple[str, str] | None = None):
        self.bucket = bucket
        self.root = root
        self._credentials = credentials

    @property
    def client(self):
        access_key, secret_key = self._credentials or (
            settings.AWS_ACCESS_KEY_ID,
            settings.AWS_SECRET_ACCESS_KEY,
        )
        return s3_client(
            settings.AWS_S3_ENDPOINT_URL, settings.AWS_S3_REGION_NAME, access_key, secret_key
        )

    def _call(self, operation: str, **params: object) -> Any:
        try:
            return getattr(self.client, operation)(Bucket=self.bucket, **params)
        except _UNREACHABLE as exc:
            raise MediaStoreUnavailable(str(exc)) from exc
        except ClientError as exc:
            if _not_found(exc):
                raise FileNotFoundError(params.get("Key", self.bucket)) from exc
            raise

    def save(self, key: str, stream: BinaryIO, *, account_sid: str) -> int:
        """Stream into the bucket under key (in the account's prefix; multipart above
        S3_MULTIPART_CHUNK) and return the size; raise MediaKeyTaken, replacing nothing, when
        an object is already stored under it.

        Create-only by ``If-None-Match: *`` on the write that makes the object appear (the
        PutObject, or the CompleteMultipartUpload), which S3 checks atomically; boto3's managed
        transfer cannot send it, hence the parts by hand. Two chunks are held at most.
        """
        check_key(key, account_sid=account_sid, root=self.root)
        chunk = settings.S3_MULTIPART_CHUNK
        part = _read_full(stream, chunk)
        following = _read_full(stream, chunk)
        try:
            if not following:
                self._call("put_object", Key=key, Body=part, IfNoneMatch="*")
                return len(part)
            return self._save_in_parts(key, stream, [part, following], chunk)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _TAKEN:
                raise MediaKeyTaken(key) from None
            raise

    def _save_in_parts(self, key: str, stream: BinaryIO, first: list[bytes], chunk: int) -> int:
        upload = self._call("create_multipart_upload", Key=key)["UploadId"]
        try:
            parts: list[dict[str, object]] = []
            size, data = 0, first.pop(0)
            while data:
                number = len(parts) + 1
                answer = self._call(
                    "upload_part", Key=key, UploadId=upload, PartNumber=number, Body=data
                )
                parts.append({"ETag": answer["ETag"], "PartNumber": number})
                size += len(data)
                data = first.pop(0) if first else _read_full(stream, chunk)
            self._call(
                "complete_multipart_upload",
                Key=key,
                UploadId=upload,
                MultipartUpload={"Parts": parts},
                IfNoneMatch="*",
            )
        except BaseException:
            with contextlib.suppress(Exception):
                self._call("abort_multipart_upload", Key=key, UploadId=upload)
            raise
        return size

    def open(self, key: str) -> BinaryIO:
        """Open a stored object for reading (streamed; seeking reopens it at that byte)."""
        check_key(key, root=self.root)
        return io.BufferedReader(_S3ReadStream(self, key), buffer_size=1024 * 1024)

    def size(self, key: str) -> int:
        """Return a stored object's size in bytes."""
        return self._call("head_object", Key=check_key(key, root=self.root))["ContentLength"]

    def exists(self, key: str) -> bool:
        """Tell whether an object is stored under key."""
        try:
            self._call("head_object", Key=check_key(key, root=self.root))
        except FileNotFoundError:
            return False
        return True

    def keys(self, *, prefix: str = "") -> Iterator[str]:
        """Yield the key of every stored object whose key starts with prefix."""
        try:
            for page in self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=prefix
            ):
                for item in page.get("Contents", []):
                    yield item["Key"]
        except _UNREACHABLE as exc:
            raise MediaStoreUnavailable(str(exc)) from exc

    def delete(self, key: str, *, account_sid: str) -> None:
        """Remove a stored object of the account; an object already gone is not an error."""
        check_key(key, account_sid=account_sid, root=self.root)
        with contextlib.suppress(FileNotFoundError):
            self._call("delete_object", Key=key)

    def delete_many(self, keys: list[str], *, account_sid: str) -> None:
        """Remove stored objects of the account, up to 1,000 a request (DeleteObjects: a bulk
        deletion's media goes in a few requests, not one per file); keys outside the account are
        left alone, objects already gone are not an error."""
        safe = []
        for key in keys:
            with contextlib.suppress(UnsafeMediaKey):
                safe.append(check_key(key, account_sid=account_sid, root=self.root))
        for start in range(0, len(safe), DELETE_BATCH):
            batch = [{"Key": key} for key in safe[start : start + DELETE_BATCH]]
            answer = self._call("delete_objects", Delete={"Objects": batch, "Quiet": True})
            if errors := answer.get("Errors"):
                # Throttling or a server error on some keys: the task retries the whole batch.
                raise MediaStoreUnavailable(f"{len(errors)} objects not deleted: {errors[0]}")

    def url(
        self, *, key: str, sid: str, ttl: int, content_type: str, disposition: str, base_url: str
    ) -> str:
        """Return a presigned GET URL valid for ttl seconds, with these response headers.

        Signing is local: no request to S3, so it never raises MediaStoreUnavailable. S3 serves
        it without asking us, so it cannot check recording sid: deleting the object revokes it.
        """
        return self.client.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.bucket,
                "Key": check_key(key, root=self.root),
                "ResponseContentType": content_type,
                "ResponseContentDisposition": disposition,
            },
            ExpiresIn=ttl,
        )
