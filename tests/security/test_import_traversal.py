"""Finding 1, import path traversal: a source (the console's Imports page, ``import_twilio``, an
exported folder) that lies about its recordings' SIDs and enums must not write, replace or delete
anything outside the importing account, nor tell it whether a SID exists in another account.

The lying source is the test suite's second Roomvault behind ``FaultyProxy``, which rewrites the
listings it answers; media is stored in the test's own media folder (and in moto for S3)."""

import io
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from console.sids import new_sid
from recordings.imports import video
from recordings.imports.models import ImportItem, ImportJob
from recordings.media import demo
from recordings.media.store import LocalMediaStore, get_media_store
from recordings.video.models import Participant, Recording, Room
from recordings.voice.models import VoiceRecording
from tests.factories import RecordingFactory
from tests.helpers import form_data
from tests.imports import conftest as importer_fixtures
from tests.imports.test_import_folder import Export, run
from tests.s3 import moto_endpoint, s3_settings  # noqa: F401 (fixtures)

# The import tests' lying source: the second Roomvault, and the proxy that rewrites its answers.
source_server = importer_fixtures.source_server
faulty_proxy = importer_fixtures.faulty_proxy

VICTIM_MEDIA = b"\x1aE\xdf\xa3 the victim's own recording"
VIDEO_LIST = r"^/v1/Recordings$"
VOICE_LIST = r"/Recordings\.json$"


def only(wanted: str, **changes):
    """Return a listing edit that keeps the recording ``wanted`` alone, changed by ``changes``."""

    def change(body: dict) -> dict:
        body["recordings"] = [{**r, **changes} for r in body["recordings"] if r["sid"] == wanted]
        return body

    return change


def import_twilio(source, proxy, *extra: str) -> dict:
    out = io.StringIO()
    call_command(
        "import_twilio",
        *("--account-sid", source.account_sid, "--auth-token", source.auth_token),
        *("--api-base-url", proxy.base_url, "--json", *extra),
        stdout=out,
        stderr=io.StringIO(),
    )
    return json.loads(out.getvalue())


def import_from_console(source, proxy, console_client, capture) -> dict:
    """Start an import on the Imports page as an admin (the job runs at once); return its
    summary as ``import_twilio`` prints it."""
    client = console_client("admin")
    page = reverse("imports:list")
    start = form_data(client.get(page).content.decode(), page, "import-start")
    start.update(
        source_account_sid=source.account_sid,
        auth_token=source.auth_token,
        api_base_url=proxy.base_url,
    )
    with capture(execute=True):
        client.post(page, start)
    (job,) = ImportJob.objects.all()
    failed = job.items.filter(result=ImportItem.Result.FAILED).values("sid", "reason")
    return {"status": job.status, "imported": job.imported, "failed": list(failed)}


def place(key: str, content: bytes) -> None:
    """Put a file in the media folder by hand, as something this import did not write."""
    path = Path(settings.MEDIA_ROOT, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)


def completed_audio(source) -> str:
    inventory = source.inventory()
    return sorted(
        sid
        for sid, r in inventory.recordings.items()
        if r["status"] == "completed" and r["type"] == "audio"
    )[0]


# TRAVERSAL ------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("surface", ["import_twilio", "console"])
def test_a_traversal_sid_replaces_no_file_of_another_account(
    surface,
    source_server,
    faulty_proxy,
    other_account,
    make_completed_recording,
    console_client,
    django_capture_on_commit_callbacks,
):
    victim = make_completed_recording(
        media=VICTIM_MEDIA, track__participant__room__account=other_account
    )
    sid = completed_audio(source_server)
    # From the importing account's folder (AC/RM/RT…) three levels up is the store's root.
    evil = f"{sid}/../../../{victim.media_key.removesuffix('.mka')}"
    faulty_proxy.edit(VIDEO_LIST, only(sid, sid=evil))

    if surface == "console":
        summary = import_from_console(
            source_server, faulty_proxy, console_client, django_capture_on_commit_callbacks
        )
    else:
        summary = import_twilio(source_server, faulty_proxy)

    store = get_media_store()
    with store.open(victim.media_key) as file:
        assert file.read() == VICTIM_MEDIA
    assert list(store.keys()) == [victim.media_key]
    assert summary["imported"] == 0
    [failure] = summary["failed"]
    assert "'sid' must be RT followed by 32 lowercase hex digits" in failure["reason"]
    assert not Recording.objects.exclude(sid=victim.sid).exists()
    # A bulk delete in the importing account later would find nothing of the victim's.
    assert Recording.objects.get(sid=victim.sid).account_id == other_account.sid


@pytest.mark.django_db(transaction=True)
def test_a_traversal_sid_of_a_voice_recording_replaces_no_file(
    source_server,
    faulty_proxy,
    other_account,
):
    victim_key = f"{other_account.sid}/voice/{new_sid('RE')}.wav"
    place(victim_key, VICTIM_MEDIA)
    sid = source_server.seed.calls["mono"]
    evil = f"{sid}/../../../{victim_key.removesuffix('.wav')}"
    faulty_proxy.edit(VIDEO_LIST, only("none"))
    faulty_proxy.edit(VOICE_LIST, only(sid, sid=evil))

    summary = import_twilio(source_server, faulty_proxy, "--voice")

    with get_media_store().open(victim_key) as file:
        assert file.read() == VICTIM_MEDIA
    assert list(get_media_store().keys()) == [victim_key]
    [failure] = summary["failed"]
    assert "'sid' must be RE followed by 32 lowercase hex digits" in failure["reason"]
    assert not VoiceRecording.objects.exists()


# FOREIGN SIDS, CREATE-ONLY WRITES, UNDO -------------------------------------------------------


@pytest.mark.django_db
def test_a_sid_of_another_account_fails_exactly_as_a_taken_room_sid(
    tmp_path, account, other_account, make_completed_recording
):
    victim = make_completed_recording(
        media=VICTIM_MEDIA, track__participant__room__account=other_account
    )
    export = Export(tmp_path / "export")
    export.recording(name=victim.sid, sid=victim.sid)
    # A recording of its own in a room whose SID is another account's.
    taken = export.recording(
        grouping_sids={"room_sid": victim.room_id, "participant_sid": new_sid("PA")}
    )
    # A file no row names under the key a recording of our own takes (an earlier run killed
    # between storing and inserting leaves one): that run's, replaced.
    orphaned = export.recording()
    orphan_key = f"{account.sid}/{orphaned['grouping_sids']['room_sid']}/{orphaned['sid']}.mka"
    place(orphan_key, b"left here before")

    summary = run(export.root, account.sid)

    reasons = {f["sid"]: f["reason"] for f in summary["failed"]}
    assert set(reasons) == {victim.sid, taken["sid"]}
    # The same words whether the recording's SID is another account's or one of its others is.
    assert reasons[victim.sid] == reasons[taken["sid"]]
    assert "another account" not in reasons[victim.sid]
    assert Recording.objects.get(sid=orphaned["sid"]).media_key == orphan_key
    with get_media_store().open(orphan_key) as file:
        assert file.read() == (export.root / f"{orphaned['sid']}.mka").read_bytes()
    with get_media_store().open(victim.media_key) as file:
        assert file.read() == VICTIM_MEDIA
    assert Recording.objects.get(sid=victim.sid).account_id == other_account.sid
    assert not Recording.objects.filter(sid=taken["sid"]).exists()
    assert Room.objects.get(sid=victim.room_id).account_id == other_account.sid


@pytest.mark.django_db
def test_an_undo_never_deletes_a_file_this_write_did_not_create(tmp_path, account, other_account):
    """The row insert fails (the SID was taken by another account after the comparison); the
    file already under the key must survive the undo."""
    theirs = RecordingFactory(track__participant__room__account=other_account)
    room, participant = new_sid("RM"), new_sid("PA")
    key = f"{account.sid}/{room}/{theirs.sid}.mka"
    place(key, b"not this write's")
    media = tmp_path / "media.mka"
    media.write_bytes(demo.opus_mka(2))
    meta = video.VideoMeta(
        sid=theirs.sid,
        status="completed",
        date_created=theirs.date_created,
        source_sid=new_sid("MT"),
        room_sid=room,
        participant_sid=participant,
        track_name="audio",
        type="audio",
        codec="OPUS",
        container_format="mka",
        size=media.stat().st_size,
        duration=2,
        offset=0,
    )

    with pytest.raises(Exception):  # noqa: B017 (refused or failed: the file is what matters)
        video.video_recording_write(
            account=account,
            meta=meta,
            room=video.RoomMeta(sid=room, unique_name="r"),
            participant=video.ParticipantMeta(sid=participant, identity="p"),
            media=media,
        )

    with get_media_store().open(key) as file:
        assert file.read() == b"not this write's"
    assert Recording.objects.get(sid=theirs.sid).account_id == other_account.sid


# THE STORE ------------------------------------------------------------------------------------

OWN = "AC" + "1" * 32
OTHER = "AC" + "2" * 32
BAD_KEYS = [
    f"../{OWN}/RM/RT.mka",
    f"{OWN}/../{OTHER}/RM/RT.mka",
    f"{OWN}/RM/../../{OTHER}/RT.mka",
    f"/{OWN}/RM/RT.mka",
    f"{OWN}/RM\\..\\..\\{OTHER}\\RT.mka",
    f"{OWN}/RM/RT\x00.mka",
    f"{OWN}//RT.mka",
    f"{OWN}/./RT.mka",
    f"{OTHER}/RM/RT.mka",  # well formed, but another account's
    "RM/RT.mka",
    "",
]


@pytest.fixture(params=["local", "s3"])
def any_store(request, tmp_path):
    if request.param == "s3":
        request.getfixturevalue("s3_settings")
        return get_media_store()
    return LocalMediaStore(tmp_path / "media")


@pytest.mark.parametrize("key", BAD_KEYS)
def test_the_store_refuses_a_key_outside_the_accounts_prefix(any_store, key):
    with pytest.raises(ValueError, match="media key"):
        any_store.save(key, io.BytesIO(b"x"), account_sid=OWN)
    with pytest.raises(ValueError, match="media key"):
        any_store.delete(key, account_sid=OWN)
    assert list(any_store.keys()) == []


def test_the_store_never_replaces_an_object(any_store):
    key = f"{OWN}/RM{'3' * 32}/RT{'4' * 32}.mka"
    any_store.save(key, io.BytesIO(b"first"), account_sid=OWN)

    with pytest.raises(FileExistsError):
        any_store.save(key, io.BytesIO(b"second"), account_sid=OWN)

    with any_store.open(key) as file:
        assert file.read() == b"first"
    assert list(any_store.keys()) == [key]


# ENUMS AND LENGTHS ----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("status", "hacked"),
        ("codec", '=HYPERLINK("http://evil.example")'),
        ("type", "../../audio"),
        ("container_format", "mka/../../x"),
        ("track_name", "t" * 300),
        ("source_sid", "MT" + "A" * 32),
        ("grouping_sids", {"room_sid": "RM/../../x", "participant_sid": "PA" + "0" * 32}),
        ("duration", 2**40),
    ],
)
def test_a_video_recording_with_a_bad_field_is_refused_and_nothing_written(
    field,
    value,
    source_server,
    faulty_proxy,
):
    sid = source_server.seed.failed[0]  # metadata only: no media check to catch it
    faulty_proxy.edit(VIDEO_LIST, only(sid, **{field: value}))

    summary = import_twilio(source_server, faulty_proxy)

    assert summary["imported"] == 0
    [failure] = summary["failed"]
    assert failure["sid"] == sid
    name = "room_sid" if field == "grouping_sids" else field
    assert f"'{name}'" in failure["reason"]
    assert not Recording.objects.exists()
    assert not Room.objects.exists() and not Participant.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("status", "hacked"),
        ("source", "=cmd|' /C calc'!A0"),
        ("channels", 9),
        ("call_sid", "CA/../../x"),
        ("price_unit", "U" * 40),
    ],
)
def test_a_voice_recording_with_a_bad_field_is_refused_and_nothing_written(
    field,
    value,
    source_server,
    faulty_proxy,
):
    sid = source_server.seed.voice_deleted[0]  # metadata only
    faulty_proxy.edit(VIDEO_LIST, only("none"))
    faulty_proxy.edit(VOICE_LIST, only(sid, **{field: value}))

    summary = import_twilio(source_server, faulty_proxy, "--voice", "--include-deleted")

    assert summary["imported"] == 0
    [failure] = summary["failed"]
    assert failure["sid"] == sid
    assert f"'{field}'" in failure["reason"]
    assert not VoiceRecording.objects.exists()


def test_media_key_is_refused_for_a_file_path(tmp_path):
    """A key is never a path of the machine: not even the store's own root."""
    store = LocalMediaStore(tmp_path)
    with pytest.raises(ValueError, match="media key"):
        store.open(str(Path(tmp_path, OWN, "x.mka")))
