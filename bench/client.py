"""The single-client latency sampler and the statistics every case reports.

One new connection per request: gunicorn's sync workers close each connection after answering,
so this is what any client of the server pays, and it is the same for the app and its baselines.
"""

import gc
import http.client
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from bench.errors import BenchError


@dataclass(frozen=True)
class Server:
    """Where the server under test listens."""

    host: str
    port: int

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass
class Stats:
    """Latency samples in seconds and the figures reported from them (in ms)."""

    samples: list[float]

    @property
    def n(self) -> int:
        return len(self.samples)

    def percentile(self, p: int) -> float:
        """Return the p-th percentile in ms (statistics.quantiles' exclusive method)."""
        if len(self.samples) < 2:
            return self.samples[0] * 1000
        return statistics.quantiles(self.samples, n=100)[p - 1] * 1000

    @property
    def p50(self) -> float:
        return self.percentile(50)

    @property
    def p99(self) -> float:
        return self.percentile(99)

    def as_dict(self) -> dict[str, float | int]:
        return {"n": self.n, "p50_ms": round(self.p50, 3), "p99_ms": round(self.p99, 3)}


def fetch(server: Server, path: str, headers: dict[str, str] | None = None) -> Reply:
    """Make one GET on a fresh connection and return the whole reply."""
    conn = http.client.HTTPConnection(server.host, server.port, timeout=120)
    try:
        conn.request("GET", path, headers=headers or {})
        resp = conn.getresponse()
        body = resp.read()
        return Reply(resp.status, {k.lower(): v for k, v in resp.getheaders()}, body)
    finally:
        conn.close()


def timed_fetch(server: Server, path: str, headers: dict[str, str]) -> tuple[float, int, bytes]:
    conn = http.client.HTTPConnection(server.host, server.port, timeout=120)
    try:
        start = time.perf_counter()
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        body = resp.read()
        elapsed = time.perf_counter() - start
        return elapsed, resp.status, body
    finally:
        conn.close()


def sample(
    server: Server,
    path: str,
    *,
    n: int,
    headers: dict[str, str] | None = None,
    warmup: int = 30,
    status: int = 200,
    check: Callable[[bytes], None] | None = None,
    check_every: bool = False,
    budget_s: float | None = None,
    min_n: int = 5,
    stop: Callable[[], bool] | None = None,
) -> Stats:
    """Time ``n`` GETs of ``path`` after ``warmup`` untimed ones and return their latencies.

    Every reply must have ``status``; ``check`` validates the body of the first reply (of every
    reply with ``check_every``). ``budget_s`` stops early once that much time was spent and at
    least ``min_n`` samples were taken (for baselines that take seconds per request); ``stop``
    ends the sampling when it returns True (for "while the job runs").
    """
    headers = headers or {}
    samples: list[float] = []
    started = time.monotonic()
    # The client's own garbage collections would otherwise land in the server's figures.
    gc.collect()
    gc.disable()
    try:
        for i in range(warmup + n):
            elapsed, got, body = timed_fetch(server, path, headers)
            if got != status:
                raise BenchError(f"GET {path} answered {got}, expected {status}: {body[:300]!r}")
            if check is not None and (i == 0 or check_every):
                check(body)
            if i < warmup:
                continue
            samples.append(elapsed)
            if stop is not None and stop():
                break
            over_budget = budget_s is not None and time.monotonic() - started > budget_s
            if over_budget and len(samples) >= min_n:
                break
    finally:
        gc.enable()
    if not samples:
        raise BenchError(f"GET {path}: no sample taken")
    return Stats(samples)
