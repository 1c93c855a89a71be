"""``import_twilio`` end to end: a second Roomvault, started by the tests and seeded with rooms and
calls in every status, is the source; this test database is the target.

Everything the source says must arrive under the same SIDs, media byte for byte; a second run
fetches no media; faults on the way (429, 500, truncated media, an interrupted run) cost retries
or a reported failure, never a wrong or half-written recording.
"""

import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from console.models import Account
from console.services import SYSTEM
from recordings.imports import common, tasks, video
from recordings.imports import services as import_services
from recordings.imports.models import ImportItem, ImportJob
from recordings.media.store import get_media_store
from recordings.video.models import Participant, Recording, Room
from recordings.voice import media as voice_media
from recordings.voice.models import VoiceRecording
from tests.twilio_helpers import twilio_client

pytestmark = pytest.mark.django_db(transaction=True)

STILL_PROCESSING = "still processing at the source"


def run_import(source, base_url: str | None = None, *extra: str) -> dict:
    out = io.StringIO()
    call_command(
        "import_twilio",
        "--account-sid",
        source.account_sid,
        "--auth-token",
        source.auth_token,
        "--api-base-url",
        base_url or source.base_url,
        "--include-deleted",
        "--voice",
        "--json",
        *extra,
        stdout=out,
        stderr=io.StringIO(),
    )
    return json.loads(out.getvalue())


def importable(inventory) -> set[str]:
    video_sids = {sid for sid, r in inventory.recordings.items() if r["status"] != "processing"}
    return video_sids | set(inventory.voice_recordings)


def media_requests(proxy) -> list[str]:
    return [e.path for e in proxy.exchanges if "/Media" in e.path or e.path.startswith("/media/")]


def test_every_recording_moves_under_its_sid_with_its_media(source_server, live_server):
    source = source_server
    inventory = source.inventory()
    summary = run_import(source)

    assert summary["imported"] == len(importable(inventory)) == 16
    assert summary["skipped_existing"] == 0
    processing = inventory.sids("processing")
    assert {f["sid"] for f in summary["failed"]} == processing
    assert all(STILL_PROCESSING in f["reason"] for f in summary["failed"])

    account = Account.objects.get(sid=source.account_sid)
    assert account.auth_token == source.auth_token
    store = get_media_store()
    for sid, theirs in inventory.recordings.items():
        if sid in processing:
            assert not Recording.objects.filter(sid=sid).exists()
            continue
        ours = Recording.objects.get(sid=sid)
        assert ours.account_id == account.sid
        assert ours.status == theirs["status"]
        assert ours.date_created.strftime("%Y-%m-%dT%H:%M:%SZ") == theirs["date_created"]
        for field in ("track_name", "codec", "type", "duration", "size", "offset"):
            assert getattr(ours, field) == theirs[field], (sid, field)
        assert ours.track_id == theirs["source_sid"]
        assert ours.room_id == theirs["grouping_sids"]["room_sid"]
        assert ours.participant_id == theirs["grouping_sids"]["participant_sid"]
        if theirs["status"] == "completed":
            with store.open(ours.media_key) as file:
                assert file.read() == source.media_bytes(sid)
        else:
            assert ours.media_key == ""
    for sid, room in inventory.rooms.items():
        if Room.objects.filter(sid=sid).exists():
            ours = Room.objects.get(sid=sid)
            assert (ours.unique_name, ours.type, ours.audio_only) == (
                room["unique_name"],
                room["type"],
                room["audio_only"],
            )
    for sid, participant in inventory.participants.items():
        if Participant.objects.filter(sid=sid).exists():
            assert Participant.objects.get(sid=sid).identity == participant["identity"]
    for sid, theirs in inventory.voice_recordings.items():
        ours = VoiceRecording.objects.get(sid=sid)
        assert (ours.status, ours.channels, ours.source, ours.call_id) == (
            theirs["status"],
            theirs["channels"],
            theirs["source"],
            theirs["call_sid"],
        )
        assert str(ours.duration) == theirs["duration"]
        if theirs["status"] == "completed":
            with store.open(ours.media_key) as file:
                assert file.read() == source.media_bytes(sid)

    # What the official library sees in Roomvault, with the same credentials, is the source's.
    client = twilio_client(live_server.url, source.account_sid, source.auth_token)
    ours = {r.sid: r for r in client.video.v1.recordings.list()}
    theirs = {sid for sid, r in inventory.recordings.items() if r["status"] != "processing"}
    assert set(ours) == theirs - inventory.sids("deleted")
    deleted = {r.sid for r in client.video.v1.recordings.list(status="deleted")}
    assert deleted == inventory.sids("deleted")
    voice = {r.sid: r for r in client.recordings.list(include_soft_deleted=True)}
    assert set(voice) == set(inventory.voice_recordings)


def test_a_second_run_fetches_no_media_and_changes_nothing(source_server, faulty_proxy):
    first = run_import(source_server, faulty_proxy.base_url)
    before = {r.sid: (r.status, r.media_key, r.size) for r in Recording.objects.all()}
    downloads = len(media_requests(faulty_proxy))
    assert downloads >= 9 + 3  # every completed video and voice recording, once

    second = run_import(source_server, faulty_proxy.base_url)

    assert second["imported"] == 0
    assert second["skipped_existing"] == first["imported"]
    assert {f["sid"] for f in second["failed"]} == {f["sid"] for f in first["failed"]}
    assert len(media_requests(faulty_proxy)) == downloads
    assert {r.sid: (r.status, r.media_key, r.size) for r in Recording.objects.all()} == before


def test_429_and_500_answers_are_retried(source_server, faulty_proxy):
    faulty_proxy.throttle(2)
    faulty_proxy.fail(2)
    faulty_proxy.fail(2, path=r"/Media$")
    faulty_proxy.throttle(1, path=r"/Rooms/")

    summary = run_import(source_server, faulty_proxy.base_url)

    assert summary["imported"] == 16
    assert all(STILL_PROCESSING in f["reason"] for f in summary["failed"])
    assert faulty_proxy.faults[429] == 3
    assert faulty_proxy.faults[500] == 4


@pytest.mark.parametrize("mode", ["short-read", "short-body"])
def test_truncated_media_is_reported_and_nothing_of_it_stored(source_server, faulty_proxy, mode):
    faulty_proxy.truncate_media(1, mode=mode)

    summary = run_import(source_server, faulty_proxy.base_url)

    [truncated] = [f for f in summary["failed"] if STILL_PROCESSING not in f["reason"]]
    assert "media" in truncated["reason"]
    sid = truncated["sid"]
    assert not Recording.objects.filter(sid=sid).exists()
    assert not VoiceRecording.objects.filter(sid=sid).exists()
    assert not any(sid in key for key in get_media_store().keys(prefix=""))
    assert summary["imported"] == 15

    again = run_import(source_server)
    assert again["imported"] == 1 and again["skipped_existing"] == 15


def test_an_interrupted_run_is_continued_by_the_next(source_server, monkeypatch):
    write = video.video_recording_write
    calls = {"n": 0}

    def interrupted(**kwargs):
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt  # Ctrl-C in the middle of the fourth recording
        return write(**kwargs)

    monkeypatch.setattr(video, "video_recording_write", interrupted)
    with pytest.raises(CommandError, match="run the same command again"):
        run_import(source_server)
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.FAILED
    # The batch being written when it stopped is rolled back whole, files included: what stays
    # is whole recordings, each counted, and no file that no row names.
    imported = job.items.filter(result="imported").count()
    assert Recording.objects.count() == imported == job.imported < 4
    named = set(Recording.objects.exclude(media_key="").values_list("media_key", flat=True))
    assert set(get_media_store().keys(prefix="")) == named
    monkeypatch.undo()

    summary = run_import(source_server)

    assert summary["job"] == job.pk  # the same job, continued
    assert summary["imported"] == 16
    assert Recording.objects.count() == 12 and VoiceRecording.objects.count() == 4
    assert ImportItem.objects.filter(job=job, result="imported").count() == 16


def test_a_run_killed_mid_batch_leaves_nothing_the_next_cannot_import(source_server, monkeypatch):
    """kill -9 while a batch is written: its files are stored, its transaction never commits and
    nothing cleans up. The next run stores every recording anew, right bytes, no orphan left."""
    settle_many = import_services._settle_many

    def killed_once_files_are_stored(job, outcomes, **kwargs):
        if any(o.size for o in outcomes):
            raise KeyboardInterrupt
        return settle_many(job, outcomes, **kwargs)

    monkeypatch.setattr(import_services, "_settle_many", killed_once_files_are_stored)
    monkeypatch.setattr(common, "discard", lambda *args, **kwargs: None)  # a dead process's
    with pytest.raises(CommandError):
        run_import(source_server)
    store = get_media_store()
    orphans = set(store.keys(prefix=""))
    assert orphans and not Recording.objects.exclude(media_key="").exists()
    assert not VoiceRecording.objects.exclude(media_key="").exists()
    monkeypatch.undo()

    summary = run_import(source_server)

    assert summary["imported"] == 16
    assert all(STILL_PROCESSING in f["reason"] for f in summary["failed"])
    voice = list(VoiceRecording.objects.exclude(media_key=""))
    rows = [*Recording.objects.exclude(media_key=""), *voice]
    named = {r.media_key for r in rows}
    # Besides the files rows name, only the voice renditions made since.
    renditions = {k for r in voice for k in voice_media.all_keys(r.account_id, r.sid, r.channels)}
    assert orphans <= named and set(store.keys(prefix="")) - named <= renditions
    for row in rows:
        with store.open(row.media_key) as file:
            assert file.read() == source_server.media_bytes(row.sid)


def test_a_sid_here_with_other_content_is_reported_never_overwritten(source_server):
    inventory = source_server.inventory()
    sid = sorted(inventory.sids("completed"))[0]
    run_import(source_server)
    Recording.objects.filter(sid=sid).update(track_name="renamed-here")

    summary = run_import(source_server)

    [conflict] = [f for f in summary["failed"] if f["sid"] == sid]
    assert "different content" in conflict["reason"] and "track_name" in conflict["reason"]
    assert Recording.objects.get(sid=sid).track_name == "renamed-here"


def test_a_dry_run_counts_and_writes_nothing(source_server, faulty_proxy):
    summary = run_import(source_server, faulty_proxy.base_url, "--dry-run")

    assert summary["dry_run"] is True
    assert summary["imported"] == 16
    assert not Account.objects.filter(sid=source_server.account_sid).exists()
    assert not Recording.objects.exists() and not ImportJob.objects.exists()
    assert media_requests(faulty_proxy) == []


def test_bad_arguments_are_refused(source_server):
    for args, message in [
        (["--account-sid", "ACnope", "--auth-token", "x"], "AC followed by 32 hex"),
        (["--account-sid", source_server.account_sid, "--auth-token", ""], "auth-token"),
        (
            ["--account-sid", source_server.account_sid, "--auth-token", "x", "--concurrency", "0"],
            "concurrency",
        ),
    ]:
        with pytest.raises(CommandError, match=message):
            call_command("import_twilio", *args, stdout=io.StringIO())


def test_wrong_credentials_stop_the_job_with_a_clear_error(source_server):
    # What to do, never the source's body, which may be anybody's server.
    refused = r"The source refused the Account SID / auth token: check them and try again\."
    with pytest.raises(CommandError, match=refused) as raised:
        call_command(
            "import_twilio",
            "--account-sid",
            source_server.account_sid,
            "--auth-token",
            "0" * 32,
            "--api-base-url",
            source_server.base_url,
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
    assert "{" not in str(raised.value) and "20003" not in str(raised.value)
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.FAILED and "refused the Account SID" in job.error


def test_an_unreachable_source_stops_the_job_with_a_clear_error(source_server):
    with pytest.raises(CommandError, match="could not be reached"):
        call_command(
            "import_twilio",
            "--account-sid",
            source_server.account_sid,
            "--auth-token",
            source_server.auth_token,
            "--api-base-url",
            "http://127.0.0.1:9",
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )


def test_since_and_until_bound_what_is_imported(source_server):
    later = (timezone.now() + timedelta(days=1)).date().isoformat()
    earlier = (timezone.now() - timedelta(days=1)).date().isoformat()

    nothing = run_import(source_server, None, "--since", later)
    assert (nothing["seen"], nothing["imported"]) == (0, 0)
    nothing = run_import(source_server, None, "--until", earlier)
    assert (nothing["seen"], nothing["imported"]) == (0, 0)
    everything = run_import(source_server, None, "--since", earlier, "--until", later)
    assert everything["imported"] == 16


def test_a_console_import_runs_in_task_slices_until_done(source_server, settings, monkeypatch):
    settings.IMPORT_TASK_SECONDS = 0  # every task takes one recording, then queues the next
    account = Account.objects.create(friendly_name="target")
    slices = []
    apply_async = tasks.run_import.apply_async
    monkeypatch.setattr(
        tasks.run_import,
        "apply_async",
        lambda args, **options: slices.append(apply_async(args, **options)),
    )

    job = import_services.import_job_start(
        account=account,
        actor=SYSTEM,
        source_account_sid=source_server.account_sid,
        auth_token=source_server.auth_token,
        api_base_url=source_server.base_url,
        options={"voice": True, "include_deleted": True},
    )

    job.refresh_from_db()
    assert (job.status, job.imported, job.credentials) == ("done", 16, "")
    assert len(slices) >= 16
    assert Recording.objects.filter(account=account).count() == 12
