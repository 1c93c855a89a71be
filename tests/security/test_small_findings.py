"""Finding 7, the smaller ones: each test is the request an attacker (or an unlucky client) makes.

- a signed media URL handed out before a recording was deleted must stop serving it at once, not
  when the worker gets round to removing the file;
- ``Page``/``PageSize`` beyond 64 bits are a 400 on every list of both APIs, not a 500;
- ``/api/docs/`` answers for anyone;
- an XML error body stays well-formed whatever the path carries;
- a CSV export never hands a spreadsheet a formula, in any column, for video and voice alike.
"""

import csv
import io
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit
from xml.etree import ElementTree

import pytest
from django.urls import reverse

from console.services import Actor
from recordings.media.store import get_media_store
from recordings.video import services
from recordings.video.choices import RecordingStatus
from recordings.voice import audio
from recordings.voice import services as voice_services
from recordings.voice.choices import RecordingSource
from recordings.voice.models import VoiceRecording
from tests.factories import RecordingFactory
from tests.helpers import assert_twilio_error

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
ACTOR = Actor(name="test")


def local(url: str) -> str:
    """Return the path and query of an absolute URL, for the test client."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def body_of(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def recorded_call(account, *, seconds: float = 1, channels: int = 1) -> VoiceRecording:
    """Return a completed voice recording of a finished call, with real audio stored."""
    call = voice_services.call_start(account=account, at=T0)
    recording = voice_services.voice_recording_start(
        call=call, source=RecordingSource.OUTBOUND_API, channels=channels, at=T0
    )
    voice_services.call_end(call=call, at=T0 + timedelta(seconds=seconds))
    with tempfile.NamedTemporaryFile(suffix=".wav") as file:
        audio.write_wav(audio.speech(seconds, dual=channels == 2), file)
        file.flush()
        recording.refresh_from_db()
        return voice_services.voice_recording_audio_ingest(
            recording=recording, path=Path(file.name)
        )


# --- a signed URL stops serving a deleted recording at once --------------------------------------


def test_signed_url_of_a_video_recording_deleted_after_signing_is_404(
    api, make_completed_recording
):
    recording = make_completed_recording()
    url = api.get(f"/v1/Recordings/{recording.sid}/Media")["Location"]
    assert api.get(local(url)).status_code == 200

    # Deleted, but the worker has not removed the file yet (on_commit work is not run here).
    services.recording_delete(recording=recording, actor=ACTOR)
    assert get_media_store().exists(recording.media_key)

    assert_twilio_error(api.get(local(url)), 404, 20404)


@pytest.mark.parametrize("media", ["Recordings/{sid}.wav", "Recordings/{sid}.mp3"])
def test_signed_url_of_a_voice_recording_or_rendition_deleted_after_signing_is_404(
    api, account, media
):
    recording = recorded_call(account)
    path = f"/2010-04-01/Accounts/{account.sid}/" + media.format(sid=recording.sid)
    url = api.get(path)["Location"]
    assert api.get(local(url)).status_code == 200

    voice_services.voice_recording_delete(recording=recording, actor=ACTOR)
    assert get_media_store().exists(recording.media_key)

    assert_twilio_error(api.get(local(url)), 404, 20404)


# --- Page and PageSize beyond 64 bits ------------------------------------------------------------

HUGE = [str(2**64), "99999999999999999999"]


@pytest.fixture
def lists(account, make_completed_recording) -> list[str]:
    """Every paged list of both APIs, with real parents so each reaches its paging."""
    video = make_completed_recording()
    call_recording = recorded_call(account)
    conference = voice_services.conference_start(account=account, friendly_name="board", at=T0)
    root = f"/2010-04-01/Accounts/{account.sid}"
    return [
        "/v1/Rooms",
        f"/v1/Rooms/{video.room_id}/Participants",
        "/v1/Recordings",
        f"/v1/Rooms/{video.room_id}/Recordings",
        f"{root}/Recordings.json",
        f"{root}/Calls/{call_recording.call_id}/Recordings.json",
        f"{root}/Conferences/{conference.sid}/Recordings.json",
        f"{root}/Recordings/{call_recording.sid}/Transcriptions.json",
    ]


@pytest.mark.parametrize("value", HUGE)
def test_page_beyond_64_bits_is_a_400_on_every_list(api, lists, value):
    for path in lists:
        assert_twilio_error(api.get(path, {"Page": value}), 400, 20001)


@pytest.mark.parametrize("value", HUGE)
def test_page_size_beyond_64_bits_is_a_400_on_every_list(api, lists, value):
    for path in lists:
        assert_twilio_error(api.get(path, {"PageSize": value}), 400, 20007)


def test_the_largest_page_answers_and_one_more_is_refused(api, lists, settings):
    # Page only numbers the page for the client: any value whose rows' indexes still fit in a
    # signed 64-bit integer is echoed back; beyond it, a 400.
    for path in lists:
        largest = 2**63 // settings.API_PAGE_SIZE_MAX - 1
        ok = api.get(path, {"Page": largest, "PageSize": settings.API_PAGE_SIZE_MAX})
        assert ok.status_code == 200, (path, ok.content)
        assert_twilio_error(
            api.get(path, {"Page": largest + 1, "PageSize": settings.API_PAGE_SIZE_MAX}), 400, 20001
        )


# --- the API docs page -------------------------------------------------------------------------


def test_api_docs_answer_anonymous_callers(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert b"swagger" in response.content.lower()


def test_api_docs_answer_console_users_and_api_callers(console_client, api):
    assert console_client("viewer").get("/api/docs/").status_code == 200
    assert api.get("/api/docs/").status_code == 200


# --- XML error bodies stay well-formed ---------------------------------------------------------


@pytest.mark.parametrize("junk", ["%01", "%0B%1F", "%EF%BF%BE", "%ED%A0%80"])
def test_xml_404_with_control_characters_in_the_path_is_well_formed(api, account, junk):
    response = api.get(f"/2010-04-01/Accounts/{account.sid}/Recordings/RE{junk}x.xml")
    assert response.status_code == 404
    root = ElementTree.fromstring(response.content)
    assert root.findtext("RestException/Code") == "20404"
    assert root.findtext("RestException/Message").endswith("x.xml was not found")


# --- CSV exports ---------------------------------------------------------------------------------


def csv_rows(response, prefix: str) -> list[dict[str, str]]:
    assert response.status_code == 200, response
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith(f'attachment; filename="{prefix}-')
    header, *rows = csv.reader(io.StringIO(body_of(response).decode()))
    return [dict(zip(header, row, strict=True)) for row in rows]


def assert_no_formula(row: dict[str, str]) -> None:
    live = {name: cell for name, cell in row.items() if cell.startswith(FORMULA_START)}
    assert not live, f"cells a spreadsheet would run: {live}"


def test_video_csv_escapes_formulas_in_every_column(console_client, account):
    RecordingFactory(
        track__participant__room__account=account,
        track__participant__room__unique_name="=HYPERLINK(1)",
        track__participant__identity="+SUM(1)",
        track__name="@cmd",
        codec="=1+2",
        type="-2+3",
        container_format="@A1",
        status=RecordingStatus.COMPLETED,
    )
    (row,) = csv_rows(console_client("member").get(reverse("recordings:export")), "recordings")
    assert_no_formula(row)
    assert (row["room_name"], row["codec"], row["type"], row["container_format"]) == (
        "'=HYPERLINK(1)",
        "'=1+2",
        "'-2+3",
        "'@A1",
    )
    assert (row["participant_identity"], row["track_name"]) == ("'+SUM(1)", "'@cmd")


def test_voice_csv_export_lists_the_filtered_recordings(console_client, account):
    recording = recorded_call(account, seconds=2)
    (row,) = csv_rows(console_client("member").get(reverse("voice:export")), "voice-recordings")
    assert row["sid"] == recording.sid
    assert row["call_sid"] == recording.call_id
    assert row["status"] == "completed"
    assert row["duration"] == "2"
    assert row["date_created"] == "2026-03-01T12:00:00Z"


def test_voice_csv_escapes_formulas_in_every_column(console_client, account):
    recording = recorded_call(account)
    # As a recording imported from another Twilio-compatible account may carry any text.
    VoiceRecording.objects.filter(pk=recording.pk).update(
        source="=HYPERLINK(1)", track="+x", trim="@x", price="-1+1", price_unit="\tX"
    )
    (row,) = csv_rows(console_client("member").get(reverse("voice:export")), "voice-recordings")
    assert_no_formula(row)
    assert row["source"] == "'=HYPERLINK(1)"


def test_voice_csv_export_is_refused_to_a_viewer_as_video_is(console_client, account):
    recorded_call(account)
    client = console_client("viewer")
    assert client.get(reverse("recordings:export")).status_code == 403
    assert client.get(reverse("voice:export")).status_code == 403


def test_voice_list_links_its_csv_export_for_members_only(console_client, account):
    recorded_call(account)
    export = reverse("voice:export")
    assert export.encode() in console_client("member").get(reverse("voice:list")).content
    assert export.encode() not in console_client("viewer").get(reverse("voice:list")).content
