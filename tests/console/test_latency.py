"""The API latency each web process publishes for background jobs: a ring of recent durations,
its p99 written at most once a second under the process's slot, read back as the highest fresh
one."""

import pytest
from django.test import RequestFactory

from console import latency
from console.latency import FRESH_SECONDS, RING, SLOTS, Recorder, api_p99_ms, p99_ms

T = 1_000.0


def _published(pid: int, *durations: float, now: float) -> Recorder:
    recorder = Recorder(pid=pid)
    for seconds in durations:
        recorder.observe(seconds)
    recorder.publish_if_due(now=now)
    return recorder


def test_p99_is_the_nearest_rank():
    assert p99_ms([i / 1000 for i in range(1, 101)]) == pytest.approx(99.0)
    # Of 200 samples, the third highest.
    assert p99_ms([0.01] * 197 + [0.5, 0.6, 0.7]) == pytest.approx(500.0)
    assert p99_ms([0.02]) == pytest.approx(20.0)


def test_a_process_publishes_the_p99_of_its_ring_and_nothing_before_its_first_request():
    assert api_p99_ms(now=T) is None
    Recorder(pid=1).publish_if_due(now=T)  # no request yet: nothing to say
    assert api_p99_ms(now=T) is None
    _published(1, 0.04, now=T)
    assert api_p99_ms(now=T) == pytest.approx(40.0)


def test_the_ring_forgets_all_but_the_last_requests():
    recorder = _published(1, *[2.0] * RING, now=T)
    assert api_p99_ms(now=T) == pytest.approx(2000.0)
    for _ in range(RING):
        recorder.observe(0.01)
    recorder.publish_if_due(now=T + 1)
    assert api_p99_ms(now=T + 1) == pytest.approx(10.0)


def test_a_process_publishes_at_most_once_a_second():
    recorder = _published(1, 0.01, now=T)
    recorder.observe(3.0)
    recorder.publish_if_due(now=T + 0.5)
    assert api_p99_ms(now=T + 0.5) == pytest.approx(10.0)
    recorder.publish_if_due(now=T + 1.0)
    assert api_p99_ms(now=T + 1.0) == pytest.approx(3000.0)


def test_readers_take_the_slowest_fresh_process():
    _published(1, 0.03, now=T)
    _published(2, 0.09, now=T - 1)
    _published(3, 0.50, now=T - FRESH_SECONDS - 0.1)  # stopped serving
    assert api_p99_ms(now=T) == pytest.approx(90.0)
    assert api_p99_ms(now=T + FRESH_SECONDS + 1) is None


def test_processes_whose_pids_share_a_slot_overwrite_each_other():
    _published(5, 0.5, now=T)
    _published(5 + SLOTS, 0.02, now=T)
    assert api_p99_ms(now=T) == pytest.approx(20.0)


@pytest.fixture
def recorder(monkeypatch):
    fresh = Recorder(pid=1)
    monkeypatch.setattr(latency, "_recorder", fresh)
    return fresh


@pytest.mark.parametrize(
    ("path", "counted"),
    [
        ("/v1/Recordings", True),
        ("/2010-04-01/Accounts/AC1/Recordings.json", True),
        ("/ingest/v1/Rooms", True),
        ("/healthz", False),
        ("/metrics", False),
        ("/recordings/", False),
    ],
)
def test_only_api_requests_are_counted_and_published_once_answered(
    client, db, recorder, path, counted
):
    client.get(path)
    assert len(recorder.samples) == (1 if counted else 0)
    assert (api_p99_ms() is not None) == counted


def test_a_media_upload_is_not_counted(recorder):
    upload = RequestFactory().put(
        "/ingest/v1/Recordings/RT1/Media", data=b"", CONTENT_LENGTH=str(50 * 1024**2)
    )
    latency.observe(upload, 30.0)
    latency.observe(RequestFactory().post("/ingest/v1/Rooms", data={"a": "b"}), 0.01)
    assert list(recorder.samples) == [0.01]


def test_an_unreachable_cache_fails_no_request_and_reads_as_no_figure(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    _published(1, 0.5, now=T)
    assert api_p99_ms(now=T) is None
