"""The drift check: metadata pointing at missing media, and media no recording references."""

import io
import logging

from recordings.devtools.voice_simulator import simulate_call
from recordings.lifecycle.drift import media_drift_report
from recordings.lifecycle.tasks import check_media_drift
from recordings.media.store import get_media_store
from recordings.video.models import Recording
from recordings.voice import media as voice_media
from tests.s3 import moto_endpoint, s3_settings  # noqa: F401 (fixtures)


def test_a_clean_store_reports_no_drift(make_completed_recording):
    make_completed_recording()
    # Deleted, its media not removed yet: still referenced, so no orphan.
    deleted = make_completed_recording()
    Recording.objects.filter(pk=deleted.pk).update(status="deleted")
    report = media_drift_report()
    assert report["missing_media_count"] == 0
    assert report["orphaned_media_count"] == 0
    assert report["orphans_checked"] is True
    assert report["missing_media_sample"] == report["orphaned_media_sample"] == []


def lose(recording) -> None:
    """Remove a recording's file behind its back."""
    get_media_store().delete(recording.media_key, account_sid=recording.account_id)


def test_both_kinds_of_drift_are_reported(make_completed_recording, account):
    kept = make_completed_recording()
    lost = make_completed_recording()
    store = get_media_store()
    store.delete(lost.media_key, account_sid=account.sid)
    orphan_key = f"{account.sid}/RMorphan/RTorphan.mka"
    store.save(orphan_key, io.BytesIO(b"abc"), account_sid=account.sid)
    # A half-written upload is the store's own business, not an orphan.
    (store.root / account.sid / ".upload-tmp").write_bytes(b"x")

    report = media_drift_report()
    assert report["missing_media_count"] == 1
    assert report["missing_media_sample"] == [lost.media_key]
    assert report["orphaned_media_count"] == 1
    assert report["orphaned_media_sample"] == [orphan_key]
    assert kept.media_key not in report["missing_media_sample"]


def test_report_is_limited_to_one_account(make_completed_recording, account, other_account):
    lost = make_completed_recording()
    lose(lost)
    other = make_completed_recording(track__participant__room__account=other_account)
    lose(other)

    assert media_drift_report(account=account)["missing_media_sample"] == [lost.media_key]
    assert media_drift_report(account=other_account)["missing_media_sample"] == [other.media_key]
    assert media_drift_report()["missing_media_count"] == 2


def test_samples_are_capped_but_counts_are_not(make_completed_recording):
    for _ in range(3):
        lose(make_completed_recording())
    report = media_drift_report(limit=2)
    assert report["missing_media_count"] == 3
    assert len(report["missing_media_sample"]) == 2


def test_drift_task_logs_a_warning_with_the_counts(make_completed_recording, caplog):
    lose(make_completed_recording())
    with caplog.at_level(logging.WARNING, logger="recordings.lifecycle.tasks"):
        report = check_media_drift.delay().get()
    assert report["missing_media_count"] == 1
    assert "1 completed recordings with missing media" in caplog.text
    assert "0 orphaned media files" in caplog.text


def test_drift_task_is_quiet_without_drift(make_completed_recording, caplog):
    make_completed_recording()
    with caplog.at_level(logging.WARNING, logger="recordings.lifecycle.tasks"):
        check_media_drift.delay()
    assert "Media drift" not in caplog.text


def test_drift_check_runs_daily():
    from console.celery import app

    entry = app.conf.beat_schedule["check-media-drift"]
    assert entry["task"] == "recordings.tasks.check_media_drift"


def test_s3_orphans_are_listed_too(s3_settings, make_completed_recording):  # noqa: F811
    recording = make_completed_recording()
    store = get_media_store()
    store.save(
        f"{recording.account_id}/RMstray/RTstray.mka",
        io.BytesIO(b"stray"),
        account_sid=recording.account_id,
    )
    report = media_drift_report(account=recording.account)
    assert report["orphans_checked"] is True
    assert report["orphaned_media_sample"] == [f"{recording.account_id}/RMstray/RTstray.mka"]
    assert report["missing_media_count"] == 0


def test_voice_recordings_and_their_renditions_are_not_orphans(
    account, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _, recording = simulate_call(account=account, seconds=2, dual=True)
    store = get_media_store()
    renditions = voice_media.all_keys(account.sid, recording.sid, recording.channels)
    assert all(store.exists(key) for key in renditions)  # made when it completed
    assert media_drift_report()["orphaned_media_count"] == 0
    store.delete(recording.media_key, account_sid=account.sid)
    report = media_drift_report()
    assert report["missing_media_sample"] == [recording.media_key]
    recording.delete()
    assert media_drift_report()["orphaned_media_count"] == len(renditions) - 1
