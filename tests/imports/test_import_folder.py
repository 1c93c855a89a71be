"""``import_folder``: a folder of exported video recordings (``RT….json`` documents in the API's
shape, their media beside them, optional ``RM….json``/``PA….json``) imported under the same SIDs;
every problem fails its one recording, with a reason, and writes nothing of it."""

import io
import json
import os
import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils.dateparse import parse_datetime
from rest_framework.test import APIClient

from console.sids import new_sid
from recordings.imports import video
from recordings.imports.common import UNSTORABLE
from recordings.imports.folder import STILL_PROCESSING
from recordings.imports.models import ImportJob
from recordings.media import demo
from recordings.media.store import get_media_store
from recordings.video import services
from recordings.video.models import Participant, Recording, Room
from tests.factories import RecordingFactory
from tests.helpers import basic_auth

pytestmark = pytest.mark.django_db


@cache
def media_of(kind: str) -> bytes:
    """Two seconds of real media of the kind (made once for the whole module)."""
    return demo.opus_mka(2) if kind == "audio" else demo.vp8_mkv(2)


class Export:
    """A folder written the way an export lays it out."""

    def __init__(self, root: Path):
        self.root = root

    def write(self, name: str, content: bytes | str | dict | list) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if not isinstance(content, bytes | str):
            content = json.dumps(content)
        path.write_bytes(content.encode() if isinstance(content, str) else content)
        return path

    def recording(
        self,
        folder: str = ".",
        *,
        kind: str = "audio",
        status: str = "completed",
        media: bytes | None = None,
        with_media: bool = True,
        name: str | None = None,
        **fields,
    ) -> dict:
        """Write a recording's document into ``folder`` (as ``name``.json, by default its SID)
        and, when it is completed, its media; return the document."""
        completed = status == "completed"
        media = media or media_of(kind)
        container = "mka" if kind == "audio" else "mkv"
        sid = new_sid("RT")
        doc = {
            "account_sid": new_sid("AC"),
            "status": status,
            "date_created": "2024-03-01T10:00:00Z",
            "date_updated": "2024-03-01T10:05:00Z",
            "date_deleted": "2024-03-02T08:00:00Z" if status == "deleted" else None,
            "sid": sid,
            "source_sid": new_sid("MT"),
            "size": len(media) if completed else None,
            "url": f"https://video.twilio.com/v1/Recordings/{sid}",
            "type": kind,
            "duration": 2 if completed else None,
            "container_format": container,
            "codec": "OPUS" if kind == "audio" else "VP8",
            "grouping_sids": {"room_sid": new_sid("RM"), "participant_sid": new_sid("PA")},
            "track_name": f"{kind}-track",
            "offset": 1709287200000,
            "media_external_location": None,
            "encryption_key": None,
            "status_callback": None,
            "status_callback_method": "POST",
            "links": {"media": f"https://video.twilio.com/v1/Recordings/{sid}/Media"},
            **fields,
        }
        self.write(f"{folder}/{name or sid}.json", doc)
        if completed and with_media:
            self.write(f"{folder}/{name or sid}.{container}", media)
        return doc

    def room(self, folder: str, sid: str, **fields) -> dict:
        doc = {
            "sid": sid,
            "unique_name": "weekly-standup",
            "type": "group",
            "status": "completed",
            "date_created": "2024-03-01T09:58:00Z",
            "end_time": "2024-03-01T10:30:00Z",
            "audio_only": False,
            **fields,
        }
        self.write(f"{folder}/{sid}.json", doc)
        return doc

    def participant(self, folder: str, sid: str, room_sid: str, **fields) -> dict:
        doc = {
            "sid": sid,
            "room_sid": room_sid,
            "identity": "alice",
            "status": "disconnected",
            "date_created": "2024-03-01T09:59:00Z",
            "end_time": "2024-03-01T10:29:00Z",
            **fields,
        }
        self.write(f"{folder}/{sid}.json", doc)
        return doc


@pytest.fixture
def export(tmp_path) -> Export:
    return Export(tmp_path / "export")


@pytest.fixture(autouse=True)
def temporary_files(tmp_path, monkeypatch) -> Path:
    """The folder the import's temporary copies go to, to check none is left behind."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def run(root: Path, account_sid: str, *args: str) -> dict:
    out = io.StringIO()
    call_command(
        "import_folder",
        str(root),
        *("--account", account_sid, "--json", *args),
        stdout=out,
        stderr=io.StringIO(),
    )
    return json.loads(out.getvalue())


def stored() -> dict[str, bytes]:
    store = get_media_store()
    return {key: store.open(key).read() for key in store.keys()}  # noqa: SIM118 (a store)


@pytest.fixture
def good_folder(export) -> dict[str, dict]:
    """One room with its room and participant documents: completed audio, completed video (in a
    subfolder), deleted and failed recordings; one room without: a completed audio recording."""
    room, alice = new_sid("RM"), new_sid("PA")
    groups = {"room_sid": room, "participant_sid": alice}
    docs = {
        "audio": export.recording("standup", grouping_sids=groups),
        "video": export.recording("standup/video", kind="video", grouping_sids=groups),
        "deleted": export.recording("standup", status="deleted", grouping_sids=groups),
        "failed": export.recording("standup", kind="video", status="failed", grouping_sids=groups),
        "bare": export.recording(),
    }
    docs["room"] = export.room("standup", room)
    docs["alice"] = export.participant("standup/people", alice, room)
    return docs


def test_a_good_folder_is_imported_under_its_sids_with_its_times_names_and_media(
    export, good_folder, account, temporary_files
):
    summary = run(export.root, account.sid)

    job = ImportJob.objects.get()
    assert summary == {
        "job": job.pk,
        "status": "done",
        "seen": 5,
        "imported": 5,
        "skipped_existing": 0,
        "failed": [],
        "bytes": 2 * len(media_of("audio")) + len(media_of("video")),
        "dry_run": False,
    }
    assert (job.kind, job.source) == ("folder", str(export.root.resolve()))
    media = stored()
    for name in ("audio", "video", "deleted", "failed", "bare"):
        doc = good_folder[name]
        row = Recording.objects.get(sid=doc["sid"])
        assert row.account_id == account.sid
        assert row.date_created == parse_datetime(doc["date_created"])
        assert [row.status, row.type, row.codec, row.container_format] == [
            doc[name] for name in ("status", "type", "codec", "container_format")
        ]
        assert (row.size, row.duration, row.offset) == (doc["size"], doc["duration"], doc["offset"])
        assert (row.room_id, row.participant_id, row.track_id, row.track_name) == (
            doc["grouping_sids"]["room_sid"],
            doc["grouping_sids"]["participant_sid"],
            doc["source_sid"],
            doc["track_name"],
        )
        if doc["status"] == "completed":
            assert media[row.media_key] == media_of(doc["type"])
        else:
            assert row.media_key == ""
        # When the export says when it was deleted, retention counts from then.
        deleted = doc["date_deleted"]
        assert row.date_deleted == (parse_datetime(deleted) if deleted else None)
    assert len(media) == 3
    # The folder's own files stay.
    assert len([*export.root.rglob("*.mk?")]) == 3
    assert not list(temporary_files.iterdir())

    standup = Room.objects.get(sid=good_folder["room"]["sid"])
    assert standup.unique_name == "weekly-standup"
    assert standup.date_created == parse_datetime(good_folder["room"]["date_created"])
    assert standup.end_time == parse_datetime(good_folder["room"]["end_time"])
    alice = Participant.objects.get(sid=good_folder["alice"]["sid"])
    assert (alice.identity, alice.room_id) == ("alice", standup.sid)
    assert alice.date_created == parse_datetime(good_folder["alice"]["date_created"])
    # Without documents: named by their SIDs.
    bare = good_folder["bare"]["grouping_sids"]
    assert Room.objects.get(sid=bare["room_sid"]).unique_name == bare["room_sid"]
    participant = Participant.objects.get(sid=bare["participant_sid"])
    assert participant.identity == bare["participant_sid"]


def test_a_second_run_imports_nothing_even_once_the_media_is_gone(export, good_folder, account):
    first = run(export.root, account.sid)
    rows = list(Recording.objects.order_by("sid").values())
    for media in export.root.rglob("*.mk?"):
        media.unlink()

    second = run(export.root, account.sid)

    assert (second["imported"], second["skipped_existing"], second["failed"]) == (0, 5, [])
    assert second["job"] != first["job"]
    assert list(Recording.objects.order_by("sid").values()) == rows


def test_a_dry_run_writes_nothing_and_says_what_a_run_would_do(export, good_folder, account):
    broken = export.write(f"{new_sid('RT')}.json", "{")

    summary = run(export.root, account.sid, "--dry-run")

    assert (summary["dry_run"], summary["job"], summary["imported"]) == (True, None, 5)
    assert [(f["sid"], "malformed JSON" in f["reason"]) for f in summary["failed"]] == [
        (broken.stem, True)
    ]
    assert not Recording.objects.exists()
    assert not Room.objects.exists()
    assert not ImportJob.objects.exists()
    assert stored() == {}


def _missing_media(export):
    doc = export.recording(with_media=False)
    return doc["sid"], "expected one media file"


def _media_in_another_folder(export):
    doc = export.recording("a", with_media=False)
    export.write(f"b/{doc['sid']}.mka", media_of("audio"))
    return doc["sid"], "a/" + doc["sid"] + ".json: expected one media file"


def _media_without_metadata(export):
    sid = new_sid("RT")
    export.write(f"lost/{sid}.mka", media_of("audio"))
    return sid, f"lost/{sid}.mka: no metadata document {sid}.json beside it"


def _media_named_otherwise(export):
    export.write("talk.mka", media_of("audio"))
    return "talk.mka", "talk.mka: not named after a recording SID"


def _dangling_media_link(export):
    doc = export.recording(with_media=False)
    (export.root / f"{doc['sid']}.mka").symlink_to(export.root / "gone.mka")
    return doc["sid"], f"{doc['sid']}.mka: unreadable (No such file or directory)"


def _malformed_json(export):
    sid = new_sid("RT")
    export.write(f"{sid}.json", '{"sid": "' + sid + '",')
    return sid, f"{sid}.json: malformed JSON"


def _not_an_object(export):
    sid = new_sid("RT")
    export.write(f"{sid}.json", [sid])
    return sid, f"{sid}.json: not a JSON object"


def _missing_status(export):
    doc = export.recording()
    del doc["status"]
    export.write(f"{doc['sid']}.json", doc)
    return doc["sid"], "'status' is missing"


def _missing_participant(export):
    doc = export.recording(grouping_sids={"room_sid": new_sid("RM")})
    return doc["sid"], "'grouping_sids.participant_sid' is missing"


def _size_as_a_string(export):
    doc = export.recording()
    doc["size"] = str(doc["size"])
    export.write(f"{doc['sid']}.json", doc)
    return doc["sid"], f"'size' must be an integer, not \"{doc['size']}\""


def _duration_as_a_boolean(export):
    return export.recording(duration=True)["sid"], "'duration' must be an integer, not true"


def _negative_size(export):
    return export.recording(size=-1)["sid"], "'size' must be from 0"


def _date_without_zone(export):
    doc = export.recording(date_created="2024-03-01T10:00:00")
    return doc["sid"], "'date_created' must be a date-time with its zone"


def _unknown_status(export):
    return export.recording(status="archived")["sid"], "'status' must be one of"


def _sid_not_rt(export):
    sid = new_sid("RT")
    export.recording(name=sid, sid="RT1234")
    return sid, "'sid' must be RT followed by 32 hex digits, not 'RT1234'"


def _sid_not_the_file_name(export):
    sid = new_sid("RT")
    export.recording(name=sid)
    return sid, f"is not {sid}, the file's name"


def _container_of_the_other_kind(export):
    doc = export.recording(container_format="mkv")
    return doc["sid"], "'container_format' must be mka for audio"


def _track_name_too_long(export):
    return export.recording(track_name="x" * 129)["sid"], "'track_name' is longer than 128"


def _still_processing(export):
    return export.recording(status="processing", size=None)["sid"], STILL_PROCESSING


def _size_mismatch(export):
    doc = export.recording(size=len(media_of("audio")) + 1)
    return doc["sid"], f"media size {len(media_of('audio'))} bytes, but the recording says"


def _truncated_media(export):
    cut = media_of("audio")[: len(media_of("audio")) * 2 // 3]
    return export.recording(media=cut, size=len(cut))["sid"], "media rejected"


def _media_of_the_other_kind(export):
    doc = export.recording(kind="video", media=media_of("audio"), size=len(media_of("audio")))
    return doc["sid"], "media holds OPUS audio in .mka, the recording says VP8 video in .mkv"


def _media_of_another_codec(export):
    doc = export.recording(kind="video", codec="H264")
    return doc["sid"], "media holds VP8 video in .mkv, the recording says H264 video in .mkv"


def _duration_mismatch(export):
    return export.recording(duration=9)["sid"], "media lasts 2.0 s, the recording says 9 s"


def _bad_room_document(export):
    room = new_sid("RM")
    export.room("rooms", room, audio_only="yes")
    doc = export.recording(grouping_sids={"room_sid": room, "participant_sid": new_sid("PA")})
    return doc["sid"], f"rooms/{room}.json: 'audio_only' must be true or false"


def _bad_participant_document(export):
    room, participant = new_sid("RM"), new_sid("PA")
    export.write(f"{participant}.json", "not json")
    doc = export.recording(grouping_sids={"room_sid": room, "participant_sid": participant})
    return doc["sid"], f"{participant}.json: malformed JSON"


def _two_documents(export):
    doc = export.recording("a")
    export.write(f"b/{doc['sid']}.json", doc)
    return doc["sid"], f"2 documents of {doc['sid']}: a/{doc['sid']}.json, b/{doc['sid']}.json"


@pytest.mark.parametrize(
    "make",
    [
        _missing_media,
        _media_in_another_folder,
        _media_without_metadata,
        _media_named_otherwise,
        _dangling_media_link,
        _malformed_json,
        _not_an_object,
        _missing_status,
        _missing_participant,
        _size_as_a_string,
        _duration_as_a_boolean,
        _negative_size,
        _date_without_zone,
        _unknown_status,
        _sid_not_rt,
        _sid_not_the_file_name,
        _container_of_the_other_kind,
        _track_name_too_long,
        _still_processing,
        _size_mismatch,
        _truncated_media,
        _media_of_the_other_kind,
        _media_of_another_codec,
        _duration_mismatch,
        _bad_room_document,
        _bad_participant_document,
        _two_documents,
    ],
    ids=lambda make: make.__name__.strip("_"),
)
def test_a_bad_recording_fails_with_its_reason_writes_nothing_and_the_run_goes_on(
    make: Callable[[Export], tuple[str, str]], export, account, temporary_files
):
    good = export.recording("good")
    sid, reason = make(export)

    summary = run(export.root, account.sid)

    assert summary["imported"] == 1
    assert [failure["sid"] for failure in summary["failed"]] == [sid]
    assert reason in summary["failed"][0]["reason"]
    assert list(Recording.objects.values_list("sid", flat=True)) == [good["sid"]]
    assert list(Room.objects.values_list("sid", flat=True)) == [good["grouping_sids"]["room_sid"]]
    assert list(stored()) == [Recording.objects.get().media_key]
    assert not list(temporary_files.iterdir())


def _exported(api: APIClient, recording: Recording) -> dict:
    response = api.get(f"/v1/Recordings/{recording.sid}")
    assert response.status_code == 200
    return response.json()


def test_a_recording_already_here_is_skipped_and_one_with_different_content_left_alone(
    export, account, api, make_completed_recording
):
    same, changed = make_completed_recording(), make_completed_recording()
    for recording in (same, changed):
        export.write(f"{recording.sid}.mka", get_media_store().open(recording.media_key).read())
    export.write(f"{same.sid}.json", _exported(api, same))
    export.write(f"{changed.sid}.json", {**_exported(api, changed), "track_name": "renamed"})
    before = Recording.objects.get(sid=changed.sid)
    media_before = stored()

    summary = run(export.root, account.sid)

    assert (summary["imported"], summary["skipped_existing"]) == (0, 1)
    assert summary["failed"] == [
        {
            "sid": changed.sid,
            "reason": f"{changed.sid} exists here with different content (track_name)",
        }
    ]
    after = Recording.objects.get(sid=changed.sid)
    assert [getattr(after, f.attname) for f in Recording._meta.concrete_fields] == [
        getattr(before, f.attname) for f in Recording._meta.concrete_fields
    ]
    assert stored() == media_before


def test_a_sid_of_another_account_is_refused(export, account, other_account):
    theirs = RecordingFactory(track__participant__room__account=other_account)
    export.recording(
        name=theirs.sid,
        sid=theirs.sid,
        grouping_sids={"room_sid": theirs.room_id, "participant_sid": theirs.participant_id},
    )

    summary = run(export.root, account.sid)

    # The words any taken SID gets: an import tells nobody which SIDs other accounts hold.
    assert summary["failed"] == [{"sid": theirs.sid, "reason": UNSTORABLE}]
    assert Recording.objects.get(sid=theirs.sid).account_id == other_account.sid


def test_an_export_of_another_roomvault_through_the_api_imports_as_it_was(
    export, account, other_account
):
    """Round trip: what ``GET /v1/Recordings/{Sid}``, its room and participant return, and the
    media, written as a folder, come back the same in another account."""
    source = RecordingFactory(
        track__participant__room__account=other_account,
        track__participant__room__unique_name="all-hands",
        track__participant__room__status="completed",
        track__participant__identity="bob",
    )
    source = services.recording_complete(
        recording=source, media=io.BytesIO(media_of("audio")), duration=2
    )
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=basic_auth(other_account.sid, other_account.auth_token))
    room, participant = source.room_id, source.participant_id
    export.write(f"{source.sid}.json", _exported(api, source))
    export.write(f"{source.sid}.mka", get_media_store().open(source.media_key).read())
    export.write(f"{room}.json", api.get(f"/v1/Rooms/{room}").json())
    export.write(
        f"{participant}.json", api.get(f"/v1/Rooms/{room}/Participants/{participant}").json()
    )
    original = {"date_created": source.date_created.replace(microsecond=0), "size": source.size}
    other_account.delete()

    summary = run(export.root, account.sid)

    assert (summary["imported"], summary["failed"]) == (1, [])
    row = Recording.objects.select_related("room", "participant").get(sid=source.sid)
    assert row.account_id == account.sid
    assert (row.date_created, row.size) == (original["date_created"], original["size"])
    assert (row.room.unique_name, row.room.status) == ("all-hands", "completed")
    assert row.participant.identity == "bob"
    assert stored()[row.media_key] == media_of("audio")


def test_an_interrupted_run_is_continued_by_the_next(export, account, monkeypatch, temporary_files):
    sids = sorted(export.recording()["sid"] for _ in range(3))
    write = video.video_recording_write
    written = []

    def interrupted_at_the_second(**kwargs):
        if len(written) == 1:
            raise KeyboardInterrupt
        written.append(kwargs["meta"].sid)
        return write(**kwargs)

    monkeypatch.setattr(video, "video_recording_write", interrupted_at_the_second)
    with pytest.raises(CommandError, match="run the same command again"):
        run(export.root, account.sid)
    job = ImportJob.objects.get()
    # The batch being written when it stopped is rolled back whole, its files with it.
    assert job.status == "failed" and job.imported < 2
    assert Recording.objects.count() == job.imported == len(stored())

    monkeypatch.setattr(video, "video_recording_write", write)
    summary = run(export.root, account.sid)

    assert (summary["job"], summary["status"]) == (job.pk, "done")
    assert (summary["seen"], summary["imported"]) == (3, 3)
    assert sorted(Recording.objects.values_list("sid", flat=True)) == sids
    assert not list(temporary_files.iterdir())


def test_the_summary_in_words_names_every_failure(export, account):
    export.recording()
    sid, reason = _missing_media(export)
    out = io.StringIO()

    call_command("import_folder", str(export.root), "--account", account.sid, stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[0].startswith("Imported 1, already here 0, failed 1 (")
    assert lines[1].startswith(f"  {sid}: ") and reason in lines[1]


def test_a_folder_that_cannot_be_read_is_reported(export, account, monkeypatch):
    export.recording("locked")
    good = export.recording("open")
    locked = export.root / "locked"
    scandir = os.scandir

    def denied_in_locked(path):
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", denied_in_locked)
    summary = run(export.root, account.sid)

    assert summary["imported"] == 1
    assert summary["failed"] == [
        {"sid": "locked", "reason": "locked: unreadable (Permission denied)"}
    ]
    assert Recording.objects.get().sid == good["sid"]


def test_an_unknown_account_is_refused(export, db):
    export.recording()
    with pytest.raises(CommandError, match="No account AC"):
        run(export.root, new_sid("AC"))


def test_a_path_that_is_not_a_folder_is_refused(tmp_path, account):
    with pytest.raises(CommandError, match="is not a folder"):
        run(tmp_path / "nowhere", account.sid)
