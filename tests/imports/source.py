"""A second Roomvault playing the source account of an import, and a faulty proxy in front of it.

``SourceServer`` runs Roomvault in processes of its own (gunicorn, and management commands to
seed it), with its own data folder: its own SQLite database and media folder, Celery tasks run
eagerly in the process that queues them. It speaks the same API as Twilio, so the importer can be
pointed at it. ``FaultyProxy`` forwards to it and injects the faults a real API shows: 429 with
``Retry-After``, 500, and media downloads cut short.
"""

import contextlib
import ctypes
import http.server
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import requests

REPO = Path(__file__).resolve().parents[2]
# Variables that would point the source at the test run's own state (database, broker, cache,
# media, signing key): without them it keeps everything under its DATA_DIR.
_SHARED_STATE = (
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "CACHE_URL",
    "MEDIA_STORAGE",
    "MEDIA_ROOT",
    "AWS_S3_ENDPOINT_URL",
    "AWS_STORAGE_BUCKET_NAME",
    "SECRET_KEY",
)
# Runs the commands given as JSON on stdin and prints each one's --json output on a line: one
# Django start-up for all of them (a start-up costs more than a simulated room).
_RUN_COMMANDS = """
import io, json, sys
import django
django.setup()
from django.core.management import call_command
for args in json.load(sys.stdin):
    out = io.StringIO()
    call_command(*args, "--json", stdout=out)
    print(out.getvalue().strip(), flush=True)
"""
START_SECONDS = 60
COMMAND_SECONDS = 120


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# Looked up before any fork: between fork and exec only the call itself may run.
_PRCTL = ctypes.CDLL(None).prctl if sys.platform == "linux" else None
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    # A server whose test run (the thread that started it) was killed outright gets SIGTERM too.
    _PRCTL(_PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass(frozen=True)
class Seed:
    """What the seeding made: room SIDs by role, and the recordings it changed after capture."""

    rooms: dict[str, str]  # "video", "audio_only", "screen", "open" → RM…
    deleted: list[str]  # RT… deleted through DELETE /v1/Recordings/{RT}
    failed: list[str]  # RT… reported failed through the ingest API
    calls: dict[str, str]  # "mono", "dual", "paused", "deleted" → RE…
    voice_deleted: list[str]  # RE… deleted through DELETE …/Recordings/{RE}.json


@dataclass(frozen=True)
class Inventory:
    """The source's truth as its API tells it, each resource as its fetch answers it, by SID."""

    recordings: dict[str, dict]  # RT… → /v1/Recordings/{RT}, every status
    rooms: dict[str, dict]  # RM… → /v1/Rooms/{RM}, every room a recording names
    participants: dict[str, dict]  # PA… → /v1/Rooms/{RM}/Participants/{PA}
    voice_recordings: dict[str, dict]  # RE… → 2010-04-01 Recordings/{RE}.json, deleted too

    def sids(self, status: str) -> set[str]:
        """Return the video recordings' SIDs in this status."""
        return {sid for sid, r in self.recordings.items() if r["status"] == status}

    def voice_sids(self, status: str) -> set[str]:
        """Return the voice recordings' SIDs in this status."""
        return {sid for sid, r in self.voice_recordings.items() if r["status"] == status}


class SourceServer:
    """A Roomvault server in a subprocess with a data folder of its own.

    Use as a context manager (or ``start()`` … ``stop()``); ``seed_account()`` fills one account
    with rooms, calls and recordings in every status.
    """

    def __init__(self, data_dir: Path):
        self.data_dir = Path(data_dir)
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.media_root = self.data_dir / "media"
        self.account_sid = ""
        self.auth_token = ""
        self.seed: Seed | None = None
        self._server: subprocess.Popen | None = None
        self._log = self.data_dir / "server.log"
        self.env = {k: v for k, v in os.environ.items() if k not in _SHARED_STATE}
        self.env.update(
            DATA_DIR=str(self.data_dir),
            PUBLIC_BASE_URL=self.base_url,
            DJANGO_SETTINGS_MODULE="console.settings",
            # Media deletion and voice renditions run in the process that queues them (the web
            # process for a DELETE): done by the time its answer arrives, and no worker to run.
            CELERY_TASK_ALWAYS_EAGER="true",
            LOG_LEVEL="WARNING",
        )

    def __enter__(self) -> "SourceServer":
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def manage(self, *commands: tuple[str, ...]) -> list[dict]:
        """Run management commands, one after the other, in one process in the source's
        environment; return the ``--json`` output of each."""
        done = subprocess.run(
            [sys.executable, "-c", _RUN_COMMANDS],
            input=json.dumps(commands),
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=COMMAND_SECONDS,
        )
        if done.returncode != 0:
            raise RuntimeError(f"management commands {commands} failed:\n{done.stderr}")
        return [json.loads(line) for line in done.stdout.splitlines()]

    def start(self) -> None:
        """Migrate the source's database, start its server and wait until it answers."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "--verbosity", "0"],
            cwd=REPO,
            env=self.env,
            check=True,
            timeout=COMMAND_SECONDS,
        )
        with self._log.open("ab") as log:
            self._server = subprocess.Popen(
                [
                    *(sys.executable, "-m", "gunicorn", "console.wsgi"),
                    *("--bind", f"127.0.0.1:{self.port}", "--workers", "2", "--threads", "4"),
                ],
                cwd=REPO,
                env=self.env,
                stdout=log,
                stderr=log,
                # A group of its own: the workers are stopped with their master.
                start_new_session=True,
                preexec_fn=_die_with_parent if _PRCTL else None,
            )
        try:
            self._wait_until_answering()
        except BaseException:
            self.stop()
            raise

    def _wait_until_answering(self) -> None:
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self._server.poll() is not None:
                raise RuntimeError(f"the source server exited:\n{self._log.read_text()}")
            # A worker still loading Django on a busy machine may take longer than one try.
            with contextlib.suppress(requests.ConnectionError, requests.Timeout):
                requests.get(f"{self.base_url}/v1/Recordings", timeout=5)
                return
            time.sleep(0.1)
        raise RuntimeError(f"the source server did not answer in {START_SECONDS} s")

    def stop(self) -> None:
        """Stop the server and its workers (killed if they take more than 10 s)."""
        if self._server is None or self._server.poll() is not None:
            return
        os.killpg(self._server.pid, signal.SIGTERM)
        try:
            self._server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self._server.pid, signal.SIGKILL)
            self._server.wait(timeout=10)

    def api(self, method: str, path: str, **kwargs) -> requests.Response:
        """Call the source's API as its account (``path`` from the root, e.g. ``/v1/Rooms``)."""
        kwargs.setdefault("timeout", 30)
        return requests.request(
            method, self.base_url + path, auth=(self.account_sid, self.auth_token), **kwargs
        )

    def voice_path(self, sid: str, ext: str = "json") -> str:
        """Return the path of a voice recording's resource with this extension."""
        return f"/2010-04-01/Accounts/{self.account_sid}/Recordings/{sid}.{ext}"

    def seed_account(self) -> Seed:
        """Fill a new account with video recordings in every status and voice recordings
        completed and deleted; return what was made (``self.seed``)."""
        [account] = self.manage(("create_account", "--name", "Source"))
        self.account_sid, self.auth_token = account["account_sid"], account["auth_token"]
        ac = ("--account", self.account_sid)
        rooms = {
            "video": ("--participants", "2", "--seconds", "2"),
            "audio_only": ("--participants", "2", "--seconds", "2", "--audio-only"),
            "screen": ("--participants", "2", "--seconds", "2", "--screen", "participant-1"),
            "open": ("--participants", "2", "--seconds", "2", "--keep-open"),
        }
        calls = {
            "mono": ("--seconds", "3"),
            "dual": ("--seconds", "3", "--dual"),
            "paused": ("--seconds", "4", "--pause-at", "1", "--resume-at", "2", "--seed", "1"),
            "deleted": ("--seconds", "2", "--seed", "2"),
        }
        key, *outputs = self.manage(
            ("create_api_key", *ac, "--scope", "ingest"),
            *(("simulate_room", *ac, *args) for args in rooms.values()),
            *(("simulate_call", *ac, *args) for args in calls.values()),
        )
        made = dict(zip(rooms, outputs[: len(rooms)], strict=True))
        recorded = {
            name: output["recording_sid"]
            for name, output in zip(calls, outputs[len(rooms) :], strict=True)
        }

        deleted = [made["video"]["recording_sids"][0], made["audio_only"]["recording_sids"][0]]
        for sid in deleted:
            self.api("DELETE", f"/v1/Recordings/{sid}").raise_for_status()
        self.api("DELETE", self.voice_path(recorded["deleted"])).raise_for_status()
        failed = made["open"]["recording_sids"][0]
        requests.post(
            f"{self.base_url}/ingest/v1/Recordings/{failed}/Failure",
            json={"reason": "media server lost the track"},
            auth=(key["sid"], key["secret"]),
            timeout=30,
        ).raise_for_status()
        self.seed = Seed(
            rooms={k: m["room_sid"] for k, m in made.items()},
            deleted=deleted,
            failed=[failed],
            calls=recorded,
            voice_deleted=[recorded["deleted"]],
        )
        return self.seed

    def _pages(self, path: str, key: str, params: dict) -> list[dict]:
        """Read every page of a list, following ``meta.next_page_url`` or ``next_page_uri``."""
        items = []
        while path:
            body = self._fetch(path, params)
            items += body[key]
            params = None  # the next page's link carries them
            following = body["meta"]["next_page_url"] if "meta" in body else body["next_page_uri"]
            path = following and following.removeprefix(self.base_url)
        return items

    def inventory(self) -> Inventory:
        """Read every recording of the account (deleted ones too), their rooms and participants,
        and every voice recording, through the source's API."""
        listed = self._pages("/v1/Recordings", "recordings", {"PageSize": 1000})
        listed += self._pages("/v1/Recordings", "recordings", {"Status": "deleted"})
        recordings = {r["sid"]: r for r in listed}
        rooms, participants = {}, {}
        for recording in recordings.values():
            room, participant = (
                recording["grouping_sids"]["room_sid"],
                recording["grouping_sids"]["participant_sid"],
            )
            if room not in rooms:
                rooms[room] = self._fetch(f"/v1/Rooms/{room}")
            if participant not in participants:
                participants[participant] = self._fetch(
                    f"/v1/Rooms/{room}/Participants/{participant}"
                )
        voice = self._pages(
            f"/2010-04-01/Accounts/{self.account_sid}/Recordings.json",
            "recordings",
            {"PageSize": 1000, "IncludeSoftDeleted": "true"},
        )
        return Inventory(
            recordings=recordings,
            rooms=rooms,
            participants=participants,
            voice_recordings={r["sid"]: r for r in voice},
        )

    def _fetch(self, path: str, params: dict | None = None) -> dict:
        response = self.api("GET", path, params=params)
        response.raise_for_status()
        return response.json()

    def media_bytes(self, sid: str) -> bytes:
        """Return the exact bytes of a recording's media: a video recording's (RT…) through its
        ``/Media`` redirect, a voice recording's (RE…) as ``.wav``."""
        path = (
            self.voice_path(sid, "wav") if sid.startswith("RE") else f"/v1/Recordings/{sid}/Media"
        )
        redirect = self.api("GET", path, allow_redirects=False)
        if redirect.status_code != 302:
            raise LookupError(f"{sid} has no media: {redirect.status_code} {redirect.text}")
        media = requests.get(redirect.headers["Location"], timeout=30)
        media.raise_for_status()
        return media.content


# Headers that belong to one connection, not to the message (RFC 9110 §7.6.1); the lengths are
# set again for the body actually sent.
_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
}
_MEDIA_TYPES = ("audio/", "video/", "application/octet-stream")
_REWRITTEN_TYPES = ("application/json", "application/xml", "text/")
_ERRORS = {
    429: (20429, "Too Many Requests"),
    500: (20500, "Internal Server Error"),
}


@dataclass
class _Plan:
    """Faults to serve: ``kind`` is 429, 500, ``slow`` or a truncation mode, ``path`` a regular
    expression the request path must contain (any path if None)."""

    kind: int | str
    remaining: int
    path: str | None = None
    keep: float = 0.5
    seconds: float = 0.0
    change: Callable[[dict], dict] | None = None

    def matches(self, path: str) -> bool:
        return self.remaining > 0 and (self.path is None or re.search(self.path, path) is not None)


@dataclass(frozen=True)
class Exchange:
    """One request the proxy answered: what was asked, the status sent, the fault if any."""

    method: str
    path: str  # with the query string
    status: int
    fault: int | str | None


@dataclass
class _Faults:
    plans: list[_Plan] = field(default_factory=list)
    exchanges: list[Exchange] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, kinds: tuple, path: str) -> _Plan | None:
        """Return the first plan of one of these kinds matching the path, counted as served."""
        with self.lock:
            for plan in self.plans:
                if plan.kind in kinds and plan.matches(path):
                    plan.remaining -= 1
                    return plan
        return None


class FaultyProxy:
    """A threaded HTTP reverse proxy in front of ``upstream`` that can be told to misbehave.

    Every request is forwarded as it came (method, path and query, headers with Authorization,
    body). The upstream's origin is replaced by the proxy's in ``Location`` headers and in JSON,
    XML and text bodies, so that redirects to signed media URLs and page links lead back through the
    proxy. Faults are served in the order they were asked for, each to the next requests that
    match it; ``exchanges`` and ``faults`` tell what was served. Request bodies are read by their
    Content-Length (no chunked uploads: neither the client library nor the importer sends them).
    """

    TRUNCATIONS = ("short-read", "short-body")

    def __init__(self, upstream: str):
        self.upstream = upstream.rstrip("/")
        self._state = _Faults()
        handler = _handler_for(self.upstream, self._state)
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self.base_url = _origin(self._server)
        # A short poll: close() waits for one.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def __enter__(self) -> "FaultyProxy":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        """Stop serving and release the port."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def throttle(self, count: int, *, path: str | None = None) -> None:
        """Answer the next ``count`` requests (whose path matches ``path``) 429, with
        ``Retry-After: 1``, without forwarding them."""
        self._add(_Plan(429, count, path))

    def fail(self, count: int, *, path: str | None = None) -> None:
        """Answer the next ``count`` requests (whose path matches ``path``) 500, without
        forwarding them."""
        self._add(_Plan(500, count, path))

    def slow(self, count: int, *, seconds: float, path: str | None = None) -> None:
        """Hold the next ``count`` requests (whose path matches ``path``) for ``seconds`` before
        forwarding them, as a slow network would."""
        self._add(_Plan("slow", count, path, seconds=seconds))

    def edit(self, path: str, change: Callable[[dict], dict]) -> None:
        """Pass every JSON body answered for a path matching ``path`` through ``change`` (it takes
        and returns the parsed body), as a source that lies about its recordings would."""
        self._add(_Plan("edit", sys.maxsize, path, change=change))

    def clear(self) -> None:
        """Drop every fault still planned: from now on, forward everything as it is."""
        with self._state.lock:
            self._state.plans.clear()

    def truncate_media(self, count: int, *, mode: str, keep: float = 0.5) -> None:
        """Cut the next ``count`` media bodies to ``keep`` of their bytes.

        ``short-read`` announces the whole length, sends the part and closes the connection;
        ``short-body`` sends the part with a Content-Length that matches it. A media body is an
        ``audio/``, ``video/`` or ``application/octet-stream`` one, or any from ``/media/…``.
        """
        if mode not in self.TRUNCATIONS:
            raise ValueError(f"mode must be one of {self.TRUNCATIONS}")
        self._add(_Plan(mode, count, keep=keep))

    def _add(self, plan: _Plan) -> None:
        with self._state.lock:
            self._state.plans.append(plan)

    @property
    def exchanges(self) -> list[Exchange]:
        """Every request answered so far, oldest first."""
        with self._state.lock:
            return list(self._state.exchanges)

    @property
    def request_count(self) -> int:
        return len(self.exchanges)

    @property
    def faults(self) -> Counter:
        """How many of each fault were served: keys 429, 500, "short-read", "short-body"."""
        return Counter(e.fault for e in self.exchanges if e.fault is not None)


def _origin(server: http.server.HTTPServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


def _handler_for(upstream: str, state: _Faults) -> type[http.server.BaseHTTPRequestHandler]:
    """Return the request handler of a proxy to ``upstream`` that serves the faults of ``state``."""

    class Handler(http.server.BaseHTTPRequestHandler):
        # Keep-alive, as the clients under test use it: every answer carries its length.
        protocol_version = "HTTP/1.1"

        def log_message(self, format, *args) -> None:
            pass  # the exchanges are the log

        def do_request(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            # Read even when not forwarded: left unread, it would be taken for the next request.
            data = self.rfile.read(length) if length else None
            plan = state.take((429, 500), urlsplit(self.path).path)
            if plan is not None:
                self._answer_error(plan.kind)
                return
            delay = state.take(("slow",), urlsplit(self.path).path)
            if delay is not None:
                time.sleep(delay.seconds)
            status, headers, body = self._forward(data)
            fault = None
            edit = state.take(("edit",), urlsplit(self.path).path)
            if edit is not None and status == 200:
                body = json.dumps(edit.change(json.loads(body))).encode()
            if self.command != "HEAD" and 200 <= status < 300 and self._is_media(headers):
                truncation = state.take(FaultyProxy.TRUNCATIONS, self.path)
                if truncation is not None:
                    fault = truncation.kind
                    whole = len(body)
                    body = body[: int(whole * truncation.keep)]
                    if fault == "short-read":
                        headers = [*headers, ("Content-Length", str(whole))]
                        # The client must see the connection end, not wait for the rest.
                        self.close_connection = True
            if not any(name.lower() == "content-length" for name, _ in headers):
                headers = [*headers, ("Content-Length", str(len(body)))]
            self._send(status, headers, body, fault)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_request

        def _forward(self, data: bytes | None) -> tuple[int, list[tuple[str, str]], bytes]:
            outgoing = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
            with requests.Session() as session:
                # Only the client's own headers go upstream, none of requests' defaults.
                session.headers.clear()
                response = session.request(
                    self.command,
                    upstream + self.path,
                    headers=outgoing,
                    data=data,
                    allow_redirects=False,
                    stream=True,
                    timeout=60,
                )
                # As sent: a compressed body stays compressed, with its Content-Encoding.
                body = response.raw.read(decode_content=False)
            headers = []
            for name, value in response.raw.headers.items():
                lowered = name.lower()
                if lowered == "content-length" and self.command == "HEAD":
                    headers.append((name, value))
                elif lowered == "location":
                    headers.append((name, value.replace(upstream, _origin(self.server))))
                elif lowered not in _HOP_BY_HOP:
                    headers.append((name, value))
            content_type = response.headers.get("Content-Type", "")
            if (
                content_type.startswith(_REWRITTEN_TYPES)
                and "Content-Encoding" not in response.headers
            ):
                body = body.replace(upstream.encode(), _origin(self.server).encode())
            return response.status_code, headers, body

        def _is_media(self, headers: list[tuple[str, str]]) -> bool:
            content_type = next((v for k, v in headers if k.lower() == "content-type"), "")
            return content_type.startswith(_MEDIA_TYPES) or self.path.startswith("/media/")

        def _answer_error(self, status: int) -> None:
            code, message = _ERRORS[status]
            body = json.dumps(
                {
                    "code": code,
                    "message": message,
                    "more_info": f"https://www.twilio.com/docs/errors/{code}",
                    "status": status,
                }
            ).encode()
            headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
            if status == 429:
                headers.append(("Retry-After", "1"))
            self._send(status, headers, body, status)

        def _send(self, status, headers, body: bytes, fault) -> None:
            with state.lock:
                state.exchanges.append(Exchange(self.command, self.path, status, fault))
            self.send_response_only(status)
            for name, value in headers:
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
            self.wfile.flush()

    return Handler
