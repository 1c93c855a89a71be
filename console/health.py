"""Probes for load balancers and orchestrators: ``/healthz`` (this process answers) and ``/readyz``
(the database, the broker and each registered dependency answer), with ``/metrics`` beside them.

They are answered by the first middleware, before ALLOWED_HOSTS, the HTTPS redirect, sessions and
the database: a load balancer asks by IP address, over plain HTTP, and ``/healthz`` must not
depend on anything but the process. Bodies never carry a secret: errors are redacted.
"""

import logging
import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse

from console import metrics
from console.broker import broker_ping

logger = logging.getLogger(__name__)

# A check returns when its dependency answers and raises (saying why) when it does not.
Check = Callable[[], None]
_CHECKS: dict[str, Check] = {}
# Checks run side by side, each in a thread of a small pool created at the first probe (after
# gunicorn's fork); a check that hangs holds its thread, and later probes time out too.
_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="readyz")
_USERINFO = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)[^/@\s]*@", re.IGNORECASE)


def register_check(name: str, check: Check) -> None:
    """Add a dependency /readyz checks (again under the same name replaces it)."""
    _CHECKS[name] = check


def _database() -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        # This pool thread's own connection: never left open between probes.
        connection.close()


register_check("database", _database)
register_check("broker", broker_ping)


def _secrets() -> list[str]:
    urls = [settings.CELERY_BROKER_URL, settings.CACHES["default"].get("LOCATION", "")]
    passwords = [urlsplit(url).password for url in urls if isinstance(url, str)]
    return [
        secret
        for secret in (
            *passwords,
            settings.DATABASES["default"].get("PASSWORD"),
            settings.AWS_SECRET_ACCESS_KEY,
        )
        if secret
    ]


def redact(text: str) -> str:
    """Return an error's text without credentials: a URL's user and password, any known secret."""
    text = _USERINFO.sub(r"\g<scheme>***@", text)
    for secret in _secrets():
        text = text.replace(secret, "***")
    return text


def _run(check: Check) -> tuple[bool, str]:
    try:
        check()
    except Exception as exc:
        return False, redact(f"{type(exc).__name__}: {exc}")[:300]
    return True, ""


def readiness() -> dict[str, dict]:
    """Run every check within READINESS_TIMEOUT_SECONDS; return each one's outcome."""
    started = time.monotonic()
    deadline = started + settings.READINESS_TIMEOUT_SECONDS
    futures = {name: _POOL.submit(_run, check) for name, check in _CHECKS.items()}
    outcomes = {}
    for name, future in futures.items():
        try:
            ok, error = future.result(timeout=max(0.0, deadline - time.monotonic()))
        except FutureTimeout:
            ok, error = False, f"no answer within {settings.READINESS_TIMEOUT_SECONDS:g} s"
        outcomes[name] = {"ok": ok, **({"error": error} if error else {})}
    return outcomes


def _healthz(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"status": "ok"})


def _readyz(request: HttpRequest) -> HttpResponse:
    checks = readiness()
    failed = {name: outcome["error"] for name, outcome in checks.items() if not outcome["ok"]}
    if failed:
        logger.warning("Not ready: %s", "; ".join(f"{k}: {v}" for k, v in failed.items()))
    body = {"status": "unavailable" if failed else "ok", "checks": checks}
    return JsonResponse(body, status=503 if failed else 200)


_PROBES = {"/healthz": _healthz, "/readyz": _readyz, "/metrics": metrics.scrape}


class ProbeMiddleware:
    """Answer the probes and /metrics first (MIDDLEWARE's top), whatever the Host or scheme."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = _PROBES.get(request.path_info)
        if probe is None:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            response = HttpResponse(status=405)
            response["Allow"] = "GET, HEAD"
        else:
            response = probe(request)
        response["Cache-Control"] = "no-store"
        return response
