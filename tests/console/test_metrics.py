"""/metrics as Prometheus scrapes it: only with the bearer token, parsed as its text format."""

import socket
from datetime import timedelta

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from recordings.lifecycle.models import BulkDeletion, CallbackDelivery
from tests.factories import (
    BulkDeletionFactory,
    CallbackDeliveryFactory,
    CompositionFactory,
    LegalHoldFactory,
    RecordingFactory,
    RetentionPolicyFactory,
    TrashedItemFactory,
)

TOKEN = "scrape-token-3f9a"
SCRAPER = {"HTTP_HOST": "10.0.0.5", "HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = TOKEN


def _scrape(client) -> dict:
    response = client.get("/metrics", **SCRAPER)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    return {f.name: f for f in text_string_to_metric_families(response.content.decode())}


def _value(families: dict, name: str, **labels: str) -> float:
    return next(s.value for s in families[name].samples if s.name == name and s.labels == labels)


def test_without_a_token_configured_metrics_do_not_exist(client, db):
    assert client.get("/metrics", **SCRAPER).status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong", f"Bearer {TOKEN}x", f"Basic {TOKEN}", TOKEN, f"bearer  {TOKEN}"],
)
def test_anything_but_the_token_gets_404(client, db, token, authorization):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}

    assert client.get("/metrics", HTTP_HOST="10.0.0.5", **headers).status_code == 404


def test_a_scrape_has_every_family(client, db, token):
    families = _scrape(client)

    for name in (
        "roomvault_http_request_duration_seconds",
        "roomvault_queue_messages",
        "roomvault_jobs",
        "roomvault_job_items_processed",
        "roomvault_job_items_total",
        "roomvault_callback_deliveries_failed",
        "roomvault_media_deletions_overdue",
        "roomvault_compositions_made",
        "roomvault_composition_media_seconds",
        "roomvault_composition_wall_seconds",
        "roomvault_legal_holds_active",
        "roomvault_retention_policies",
        "roomvault_trash_items",
        "roomvault_trash_items_overdue",
        "roomvault_metrics_source_up",
    ):
        assert name in families, name
    assert _value(families, "roomvault_queue_messages", queue="compositions") == 0
    assert {s.labels["source"] for s in families["roomvault_metrics_source_up"].samples} == {
        "broker",
        "bulk_deletions",
        "failures",
        "governance",
        "imports",
        "compositions",
    }


def test_latency_is_labelled_by_route_never_by_the_path(client, db, token):
    client.get("/login/", HTTP_HOST="127.0.0.1")
    client.get("/recordings/RT00000000000000000000000000000042/", HTTP_HOST="127.0.0.1")

    families = _scrape(client)

    samples = families["roomvault_http_request_duration_seconds"].samples
    page = {"route": "login/", "method": "GET", "status": "2xx"}
    login = [s for s in samples if s.name.endswith("_count") and s.labels == page]
    assert login and login[0].value >= 1
    assert not any("RT000" in value for s in samples for value in s.labels.values())
    # The pattern that matched the SID stands for every recording's page.
    assert any(s.labels.get("route", "").startswith("recordings/(?P<sid>RT") for s in samples)


def test_job_progress_and_failures_are_read_from_the_database(client, db, token, settings):
    BulkDeletionFactory(status=BulkDeletion.Status.RUNNING, total=20_000, processed=5_000)
    BulkDeletionFactory(status=BulkDeletion.Status.RUNNING, total=1_000, processed=1_000)
    BulkDeletionFactory(status=BulkDeletion.Status.QUEUED, total=7)
    BulkDeletionFactory(status=BulkDeletion.Status.DONE, total=9, processed=9)
    CallbackDeliveryFactory.create_batch(2, status=CallbackDelivery.Status.FAILED)
    CallbackDeliveryFactory(status=CallbackDelivery.Status.DELIVERED)
    long_ago = timezone.now() - timedelta(seconds=settings.MEDIA_SWEEP_GRACE_SECONDS + 60)
    RecordingFactory(status="deleted", date_deleted=long_ago, media_key="still/there.mka")
    RecordingFactory(status="deleted", date_deleted=long_ago, media_key="")
    RecordingFactory(status="deleted", date_deleted=timezone.now(), media_key="just/deleted.mka")

    families = _scrape(client)

    assert _value(families, "roomvault_jobs", job="bulk_deletion", status="running") == 2
    assert _value(families, "roomvault_jobs", job="bulk_deletion", status="queued") == 1
    assert _value(families, "roomvault_job_items_processed", job="bulk_deletion") == 6_000
    assert _value(families, "roomvault_job_items_total", job="bulk_deletion") == 21_000
    assert _value(families, "roomvault_callback_deliveries_failed") == 2
    assert _value(families, "roomvault_media_deletions_overdue", kind="video") == 1
    assert _value(families, "roomvault_media_deletions_overdue", kind="voice") == 0


def test_governance_figures_and_what_a_hold_or_trash_keeps_is_not_overdue(
    client, db, token, settings
):
    long_ago = timezone.now() - timedelta(seconds=settings.MEDIA_SWEEP_GRACE_SECONDS + 60)
    RecordingFactory(status="deleted", date_deleted=long_ago, media_key="a/b.mka")  # overdue
    held = RecordingFactory(status="deleted", date_deleted=long_ago, media_key="a/c.mka")
    LegalHoldFactory(account=held.account, value=held.room_id)
    LegalHoldFactory(date_released=timezone.now())
    TrashedItemFactory(recording__media_key="a/d.mka", recording__date_deleted=long_ago)
    TrashedItemFactory(date_expires=timezone.now() - timedelta(hours=3))
    TrashedItemFactory(date_expires=timezone.now() - timedelta(minutes=5))
    RetentionPolicyFactory.create_batch(2)
    RetentionPolicyFactory(enabled=False)

    families = _scrape(client)

    # Only the first: the held recording and the one in the trash keep their media on purpose.
    assert _value(families, "roomvault_media_deletions_overdue", kind="video") == 1
    assert _value(families, "roomvault_legal_holds_active") == 1
    assert _value(families, "roomvault_retention_policies", state="enabled") == 2
    assert _value(families, "roomvault_retention_policies", state="disabled") == 1
    assert _value(families, "roomvault_trash_items", kind="video") == 3
    assert _value(families, "roomvault_trash_items_overdue", kind="video") == 1


def test_composition_seconds_and_progress_are_read_from_the_database(client, db, token):
    asked = timezone.now() - timedelta(minutes=5)
    CompositionFactory(
        status="completed",
        duration=90,
        date_created=asked,
        date_completed=asked + timedelta(seconds=30),
    )
    CompositionFactory(status="processing", progress=40)
    CompositionFactory(status="enqueued")

    families = _scrape(client)

    assert _value(families, "roomvault_compositions_made") == 1
    assert _value(families, "roomvault_composition_media_seconds") == 90
    assert _value(families, "roomvault_composition_wall_seconds") == 30
    assert _value(families, "roomvault_jobs", job="composition", status="running") == 1
    assert _value(families, "roomvault_jobs", job="composition", status="queued") == 1
    assert _value(families, "roomvault_job_items_processed", job="composition") == 40
    assert _value(families, "roomvault_job_items_total", job="composition") == 100


def test_a_broker_that_does_not_answer_leaves_the_other_figures(client, db, token, settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed}/0"

    families = _scrape(client)

    assert _value(families, "roomvault_metrics_source_up", source="broker") == 0
    assert _value(families, "roomvault_metrics_source_up", source="bulk_deletions") == 1
    assert "roomvault_queue_messages" not in families


def test_gunicorn_workers_report_together_in_multiprocess_mode(tmp_path):
    """Every worker's requests show in the scrape, whichever worker answers it."""
    import os
    import subprocess
    import sys
    import time
    from pathlib import Path

    import requests

    samples_dir = tmp_path / "prometheus"
    samples_dir.mkdir()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "DATA_DIR": str(tmp_path / "data"),
        "PROMETHEUS_MULTIPROC_DIR": str(samples_dir),
        "METRICS_TOKEN": TOKEN,
    }
    for name in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "CELERY_BROKER_URL"):
        env.pop(name, None)
    server = subprocess.Popen(
        [Path(sys.executable).parent / "gunicorn", "-w2", f"-b127.0.0.1:{port}", "console.wsgi"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                requests.get(f"{base}/healthz", timeout=5)
                break
            except requests.RequestException:
                time.sleep(0.2)
        statuses = {
            requests.get(f"{base}/favicon.ico", timeout=5, allow_redirects=False).status_code
            for _ in range(20)
        }
        assert len(statuses) == 1
        counts = set()
        for _ in range(4):
            text = requests.get(
                f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
            ).text
            favicon = {
                "route": "favicon.ico",
                "method": "GET",
                "status": f"{min(statuses) // 100}xx",
            }
            counts |= {
                s.value
                for f in text_string_to_metric_families(text)
                for s in f.samples
                if s.name == "roomvault_http_request_duration_seconds_count" and s.labels == favicon
            }
    finally:
        server.terminate()
        server.wait(timeout=30)

    assert counts == {20.0}
