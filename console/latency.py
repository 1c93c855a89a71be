"""Recent API latency, shared by every web process: what a background job reads to yield to the
requests people and integrations are waiting on.

Each web process keeps the durations of its last ``RING`` API requests and, after a response has
gone, at most once every ``PUBLISH_SECONDS``, writes their p99 and the time to the shared cache
(``CACHES``) under one of ``SLOTS`` keys, chosen by its pid. A reader takes the highest p99
published within ``FRESH_SECONDS``: a process that stops serving (or dies) drops out by itself,
and no traffic reads as no load. Two processes whose pids share a slot overwrite each other; the
reader then sees one of them, which is enough for a signal that only has to say "busy".

Console pages are left out: they share the API's database, so its p99 speaks for them, and their
paths have no common prefix to tell them from probes and scrapes cheaply.
"""

import logging
import math
import os
import time
from collections import deque
from collections.abc import Iterable

from django.core.cache import cache
from django.core.signals import request_finished
from django.http import HttpRequest

from console.middleware import is_api

logger = logging.getLogger(__name__)

# A media upload's duration is its client's network, not this server's load.
UPLOAD_BYTES = 1024 * 1024
RING = 200
SLOTS = 16
PUBLISH_SECONDS = 1.0
FRESH_SECONDS = 5.0
_KEYS = [f"latency:api-p99:{slot}" for slot in range(SLOTS)]


def p99_ms(samples: Iterable[float]) -> float:
    """Return the 99th percentile (nearest rank) of durations in seconds, in ms."""
    ordered = sorted(samples)
    return ordered[math.ceil(0.99 * len(ordered)) - 1] * 1000


class Recorder:
    """One process's ring of recent API durations and the slot it publishes their p99 under."""

    def __init__(self, *, pid: int):
        self.samples: deque[float] = deque(maxlen=RING)
        self.key = _KEYS[pid % SLOTS]
        self.published = -math.inf

    def observe(self, seconds: float) -> None:
        """Add a request's duration (the oldest leaves a full ring)."""
        self.samples.append(seconds)

    def publish_if_due(self, *, now: float) -> None:
        """Publish the ring's p99 if it holds any and the last publication is old enough."""
        if not self.samples or now - self.published < PUBLISH_SECONDS:
            return
        self.published = now
        try:
            cache.set(self.key, (p99_ms(self.samples), now), timeout=FRESH_SECONDS)
        except Exception as exc:
            # A signal for background jobs: never worth failing a request over.
            logger.warning("Could not publish the API latency: %s", type(exc).__name__)


_recorder = Recorder(pid=os.getpid())


def _forked() -> None:
    global _recorder
    _recorder = Recorder(pid=os.getpid())


# gunicorn forks its workers after importing the app: each needs its own ring and slot.
os.register_at_fork(after_in_child=_forked)


def observe(request: HttpRequest, seconds: float) -> None:
    """Count this request's duration if it is an API request other than an upload."""
    if not is_api(request):
        return
    length = request.META.get("CONTENT_LENGTH") or ""
    if length.isdigit() and int(length) > UPLOAD_BYTES:
        return
    _recorder.observe(seconds)


def _publish(**_: object) -> None:
    _recorder.publish_if_due(now=time.time())


# Once the response has gone (the server closes it after sending the body): a publication, a
# cache write of a millisecond or two on the file cache, never delays the request it follows.
request_finished.connect(_publish, dispatch_uid="console.latency")


def api_p99_ms(*, now: float | None = None) -> float | None:
    """Return the highest API p99 (ms) a web process published within FRESH_SECONDS, or None
    when none did (no traffic, or the cache unreachable)."""
    now = time.time() if now is None else now
    try:
        published = cache.get_many(_KEYS)
    except Exception as exc:
        logger.warning("Could not read the API latency: %s", type(exc).__name__)
        return None
    return max((p99 for p99, at in published.values() if now - at <= FRESH_SECONDS), default=None)
