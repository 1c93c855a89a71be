"""Prometheus metrics: request latency measured by each web process, and figures read at scrape
time from the shared database and broker, so that every host reports the same truth.

``/metrics`` answers only ``Authorization: Bearer $METRICS_TOKEN``, and 404 to anything else (and
to everyone when no token is set). Under gunicorn with several workers, set
``PROMETHEUS_MULTIPROC_DIR`` (an empty folder, wiped at each start): each worker then writes its
samples there and any of them answers for all (prometheus_client's multiprocess mode).

The apps read their own tables: each registers a source with ``register_figures`` in its
``AppConfig.ready()``. No figure is labelled by account or by anything a tenant chose.
"""

import hmac
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from prometheus_client import REGISTRY, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.multiprocess import MultiProcessCollector

from console import latency
from console.broker import queue_depths

logger = logging.getLogger(__name__)
# One line per request, with its fields (method, route, status, duration_ms) for the JSON logs.
request_logger = logging.getLogger("console.requests")

PREFIX = "roomvault_"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

REQUEST_LATENCY = Histogram(
    f"{PREFIX}http_request_duration_seconds",
    "Time to answer a request by URL route (the pattern, never the path), method, status class.",
    ["route", "method", "status"],
)


@dataclass(frozen=True)
class Figure:
    """One sample of a gauge read at scrape time (``name`` without the ``roomvault_`` prefix)."""

    name: str
    help: str
    value: float
    labels: Mapping[str, str] = field(default_factory=dict)


FigureSource = Callable[[], Iterable[Figure]]
_SOURCES: dict[str, FigureSource] = {}


def register_figures(name: str, read: FigureSource) -> None:
    """Add a source of figures read at each scrape (again under the same name replaces it)."""
    _SOURCES[name] = read


def job_figures(
    job: str, *, queued: int, running: int, processed: int, total: int | None = None
) -> list[Figure]:
    """Return the figures every kind of background job reports, the same way."""
    figures = [
        Figure("jobs", "Background jobs waiting or running.", count, {"job": job, "status": status})
        for status, count in (("queued", queued), ("running", running))
    ]
    figures.append(
        Figure(
            "job_items_processed",
            "Items the running jobs have processed (compositions: percent points).",
            processed,
            {"job": job},
        )
    )
    if total is not None:
        figures.append(
            Figure("job_items_total", "Items the running jobs will process.", total, {"job": job})
        )
    return figures


def _queues() -> Iterator[Figure]:
    for queue, depth in queue_depths().items():
        yield Figure(
            "queue_messages", "Messages waiting in a Celery queue.", depth, {"queue": queue}
        )


register_figures("broker", _queues)


class _SharedState:
    """Every registered source's figures, as gauge families; a source that fails is reported by
    ``roomvault_metrics_source_up`` and leaves the others' figures standing."""

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        families: dict[str, GaugeMetricFamily] = {}
        up = GaugeMetricFamily(
            f"{PREFIX}metrics_source_up",
            "1 when a source of these figures (database, broker) answered this scrape.",
            labels=["source"],
        )
        for source, read in _SOURCES.items():
            try:
                figures = list(read())
            except Exception as exc:
                logger.warning("Metrics source %s failed: %s", source, type(exc).__name__)
                up.add_metric([source], 0)
                continue
            up.add_metric([source], 1)
            grouped: dict[str, list[Figure]] = defaultdict(list)
            for figure in figures:
                grouped[figure.name].append(figure)
            for name, samples in grouped.items():
                family = families.setdefault(
                    name,
                    GaugeMetricFamily(
                        f"{PREFIX}{name}", samples[0].help, labels=list(samples[0].labels)
                    ),
                )
                for sample in samples:
                    family.add_metric(list(sample.labels.values()), sample.value)
        yield up
        yield from families.values()


class _ThisProcess:
    """The process's own metrics (request latency), when not in multiprocess mode."""

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


def exposition() -> bytes:
    """Return every metric in Prometheus' text format."""
    registry = CollectorRegistry()
    if settings.PROMETHEUS_MULTIPROC_DIR:
        MultiProcessCollector(registry, path=settings.PROMETHEUS_MULTIPROC_DIR)
    else:
        registry.register(_ThisProcess())
    registry.register(_SharedState())
    return generate_latest(registry)


def _authorized(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    return bool(token) and hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


def scrape(request: HttpRequest) -> HttpResponse:
    """Answer a scrape with the metrics, or 404 as for any unknown path."""
    if not _authorized(request):
        return HttpResponseNotFound()
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)


def route_of(request: HttpRequest) -> str:
    """Return the URL pattern that answered the request (bounded: never the path's own SIDs)."""
    match = getattr(request, "resolver_match", None)
    return match.route if match is not None else "(unmatched)"


class RequestMetricsMiddleware:
    """Time every request: a latency sample labelled by route, method and status class, a log
    line (never the path itself, which may hold a signed media token), and for the API the
    recent p99 background jobs yield to (``console.latency``)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        seconds = time.perf_counter() - started
        method = request.method if request.method in _METHODS else "other"
        route = route_of(request)
        REQUEST_LATENCY.labels(route, method, f"{response.status_code // 100}xx").observe(seconds)
        latency.observe(request, seconds)
        request_logger.info(
            "%s %s %d",
            method,
            route,
            response.status_code,
            extra={
                "method": method,
                "route": route,
                "status": response.status_code,
                "duration_ms": round(seconds * 1000, 1),
            },
        )
        return response
