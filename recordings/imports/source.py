"""The source side of an import: the official ``twilio`` client pointed at any Twilio-compatible
API, and streamed media downloads, both retrying 429 and 5xx answers with backoff and honouring
``Retry-After`` (urllib3's ``Retry``, mounted on the client's own session).

A source given by a tenant (a console import) is reached through the outbound guard, media links
and their redirects included; only the operator's ``import_twilio`` command may reach any address.
A failure is described by its status code and a short reason: the source's own words (its
response body) are never shown, since they may come from a server the tenant should not read.
"""

import tempfile
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from urllib3.util.retry import Retry

from console import outbound

TWILIO_API = "https://api.twilio.com"
TWILIO_VIDEO = "https://video.twilio.com"
CHUNK_SIZE = 1024 * 1024
# Six retries, the waits doubling from IMPORT_RETRY_BACKOFF_SECONDS (1, 2, 4 … 32 s by default),
# longer where Retry-After says.
RETRIES = 6


class DownloadFailed(Exception):
    """A media file could not be fetched whole; ``reason`` says why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _retrying_session(backoff: float, *, any_address: bool) -> requests.Session:
    retry = Retry(
        total=RETRIES,
        connect=RETRIES,
        read=RETRIES,
        status=RETRIES,
        status_forcelist=(429, 500, 502, 503, 504),
        allowed_methods=("GET", "HEAD"),
        backoff_factor=backoff,
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    if not any_address:
        return outbound.session(max_retries=retry, pool_maxsize=32)
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry, pool_maxsize=32)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


@dataclass
class Source:
    """One source account: its client (Video and Api domains) and an HTTP session for media.

    ``any_address`` (the operator's command only) lets it reach addresses the outbound guard
    refuses to tenants.
    """

    account_sid: str
    auth_token: str
    api_base_url: str | None = None
    backoff: float = field(default_factory=lambda: settings.IMPORT_RETRY_BACKOFF_SECONDS)
    any_address: bool = False

    def __post_init__(self):
        http_client = TwilioHttpClient(pool_connections=True, timeout=60)
        http_client.session = _retrying_session(self.backoff, any_address=self.any_address)
        self.client = Client(self.account_sid, self.auth_token, http_client=http_client)
        # Edge and region would rewrite the host of a non-Twilio base URL.
        self.client.edge = self.client.region = None
        if self.api_base_url:
            base = self.api_base_url.rstrip("/")
            self.client.video.base_url = base
            self.client.api.base_url = base
        self.session = _retrying_session(self.backoff, any_address=self.any_address)
        self.session.auth = (self.account_sid, self.auth_token)

    @property
    def name(self) -> str:
        return (self.api_base_url or TWILIO_API).rstrip("/")

    def download(self, url: str, *, expected_size: int | None = None) -> Path:
        """Stream a media file (following the redirect to its signed URL) to a temporary file and
        return its path; raise DownloadFailed unless it arrived whole.

        The caller deletes the file. Nothing is held in memory beyond one chunk.
        """
        fd, name = tempfile.mkstemp(prefix="roomvault-import-")
        path = Path(name)
        try:
            with open(fd, "wb") as file, self.session.get(url, stream=True, timeout=60) as response:
                if response.status_code != 200:
                    raise DownloadFailed(f"media answered {_status(response.status_code)}")
                announced = response.headers.get("Content-Length")
                received = 0
                for chunk in response.iter_content(CHUNK_SIZE):
                    file.write(chunk)
                    received += len(chunk)
            if announced is not None and received != int(announced):
                raise DownloadFailed(f"media truncated: {received} of {announced} bytes")
            if expected_size is not None and received != expected_size:
                raise DownloadFailed(
                    f"media size {received} bytes, but the recording says {expected_size}"
                )
        except requests.RequestException as exc:
            path.unlink(missing_ok=True)
            raise DownloadFailed(f"media download failed ({type(exc).__name__})") from None
        except outbound.OutboundRefused as exc:
            path.unlink(missing_ok=True)
            raise DownloadFailed(f"media link refused ({exc.reason})") from None
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return path


def _status_of(exc: BaseException) -> int | None:
    """Return the HTTP status the source answered with, if the failure is an answer."""
    if isinstance(exc, TwilioRestException):
        return exc.status
    # The client's pages raise TwilioException("Unable to fetch page", response).
    if isinstance(exc, TwilioException) and len(exc.args) > 1:
        return getattr(exc.args[1], "status_code", None)
    return None


def describe_failure(exc: BaseException) -> str:
    """Say in a line why talking to the source failed (what an operator can act on): its status
    code and reason phrase, never its body."""
    status = _status_of(exc)
    if status is not None:
        return f"the source answered {_status(status)}"
    if isinstance(exc, outbound.OutboundRefused):
        return f"the source's address is refused ({exc.reason})"
    if isinstance(exc, requests.ConnectionError):
        return "the source could not be reached (connection refused or timed out, retries spent)"
    return f"{type(exc).__name__}: {exc}"


def stop_reason(exc: BaseException) -> str:
    """Say why a whole import stopped and what to do about it, in sentences a person acts on:
    credentials refused, no such account or API, unreachable, or the source's failure.

    A recording's own failure is ``describe_failure``'s: there a 404 is that recording, gone.
    """
    status = _status_of(exc)
    if status == 401:
        return "The source refused the Account SID / auth token: check them and try again."
    if status == 403:
        return (
            "The source refused access with this Account SID / auth token (HTTP 403 Forbidden): "
            "check them and what they may read, and try again."
        )
    if status == 404:
        return (
            "The source has no such account, or no Twilio-compatible API at that address "
            "(HTTP 404): check the Account SID and the API base URL, and try again."
        )
    if isinstance(exc, outbound.OutboundRefused):
        return (
            f"The source's address is refused ({exc.reason}): Roomvault calls no internal "
            "address for a tenant. Use the source's public address."
        )
    if isinstance(exc, requests.ConnectionError):
        return (
            "The source could not be reached (connection refused or timed out, retries spent): "
            "check the API base URL, then start the same import again to continue."
        )
    if status is not None and (status >= 500 or status == 429):
        return (
            f"The source kept failing ({_status(status)}, retries spent): start the same import "
            "again later to continue."
        )
    return (
        f"Talking to the source failed ({describe_failure(exc)}): start the same import again "
        "to continue."
    )


def _status(code: int) -> str:
    try:
        return f"HTTP {code} ({HTTPStatus(code).phrase})"
    except ValueError:
        return f"HTTP {code}"
