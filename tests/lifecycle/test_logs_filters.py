"""The console's Logs filters as people use them: names by their start in any case, a date range
that cannot be empty, and choices by their labels; the API keeps Twilio's exact filters and
values."""

import re

import pytest
from django.urls import reverse

from recordings.video.choices import RecordingStatus
from tests.factories import (
    CompositionFactory,
    ParticipantFactory,
    RecordingFactory,
    RoomFactory,
    TrackFactory,
    VoiceRecordingFactory,
)


def _recording(account, *, room: str, identity: str = "someone", **kwargs):
    track = TrackFactory(
        participant=ParticipantFactory(
            room=RoomFactory(account=account, unique_name=room), identity=identity
        )
    )
    return RecordingFactory(track=track, status=RecordingStatus.COMPLETED, **kwargs)


@pytest.fixture
def named(account, other_account):
    """Recordings of rooms and people whose names share starts in several cases, and a foreign
    recording whose room starts alike."""
    return {
        "weekly": _recording(account, room="weekly-sync", identity="Alice Smith"),
        "Weekly": _recording(account, room="Weekly-Review", identity="alicia"),
        "biweekly": _recording(account, room="biweekly", identity="Bob"),
        "theirs": _recording(other_account, room="weekly-theirs", identity="alice"),
    }


def _listed(page: str, recordings) -> set[str]:
    return {r.sid for r in recordings if r.sid in page}


def test_a_room_name_matches_rooms_starting_with_it_in_any_case(account, console_client, named):
    page = console_client("viewer").get(reverse("recordings:list"), {"room": "WEEK"})
    text = page.content.decode()
    assert page.status_code == 200
    assert _listed(text, named.values()) == {named["weekly"].sid, named["Weekly"].sid}
    assert "starts with, any case" in text


def test_a_participant_identity_matches_identities_starting_with_it_in_any_case(
    console_client, named
):
    page = console_client("viewer").get(reverse("recordings:list"), {"participant": "ALIC"})
    assert _listed(page.content.decode(), named.values()) == {
        named["weekly"].sid,
        named["Weekly"].sid,
    }


def test_a_room_sid_still_matches_only_that_room(console_client, named):
    room = named["weekly"].room_id
    page = console_client("viewer").get(reverse("recordings:list"), {"room": room})
    assert _listed(page.content.decode(), named.values()) == {named["weekly"].sid}


def test_the_rooms_list_and_compositions_logs_match_name_starts_in_any_case(
    account, other_account, console_client, named
):
    client = console_client("viewer")
    rooms = client.get(reverse("rooms:list"), {"name": "weekly", "status": ""}).content.decode()
    assert "weekly-sync" in rooms and "Weekly-Review" in rooms
    assert "biweekly" not in rooms and "weekly-theirs" not in rooms

    mine = CompositionFactory(room=named["Weekly"].room, status="completed")
    other = CompositionFactory(room=named["biweekly"].room, status="completed")
    theirs = CompositionFactory(room=named["theirs"].room, status="completed")
    page = client.get(reverse("compositions:list"), {"room": "wEEkly"}).content.decode()
    assert mine.sid in page and other.sid not in page and theirs.sid not in page


def test_the_api_keeps_twilios_exact_case_sensitive_names(account, api, named):
    named["weekly"].room.status = "in-progress"
    named["weekly"].room.save(update_fields=["status"])
    for name, found in (("weekly", []), ("WEEKLY-SYNC", []), ("weekly-sync", ["weekly-sync"])):
        body = api.get("/v1/Rooms", {"UniqueName": name}).json()
        assert [room["unique_name"] for room in body["rooms"]] == found, name


# An empty date range ---------------------------------------------------------------------------

PAGES = [
    ("recordings:list", "date_from", "date_to"),
    ("voice:list", "date_from", "date_to"),
    ("compositions:list", "date_from", "date_to"),
    ("team:audit", "date_after", "date_before"),
]


@pytest.mark.parametrize(("name", "start", "end"), PAGES)
def test_a_range_ending_before_it_starts_is_a_field_error(
    account, console_client, name, start, end
):
    RecordingFactory(track__participant__room__account=account, status="completed")
    VoiceRecordingFactory(account=account, status="completed")
    dates = (
        {start: "2026-12-05", end: "2026-12-01"}
        if name == "team:audit"
        else {start: "2026-12-05T00:00", end: "2026-12-01T00:00"}
    )
    page = console_client("owner").get(reverse(name), dates)
    text = page.content.decode()
    assert page.status_code == 200
    assert re.search(r"must be earlier than .*: this range is empty\.", text), text[-3000:]


@pytest.mark.parametrize("name", ["recordings:list", "voice:list", "compositions:list"])
def test_a_logs_range_may_not_be_empty_but_one_hour_is_fine(account, console_client, name):
    client = console_client("viewer")
    same = {"date_from": "2026-01-01T00:00", "date_to": "2026-01-01T00:00"}
    assert "this range is empty" in client.get(reverse(name), same).content.decode()
    hour = {"date_from": "2026-01-01T00:00", "date_to": "2026-01-01T01:00"}
    assert "this range is empty" not in client.get(reverse(name), hour).content.decode()


def test_the_audit_logs_one_day_range_is_fine(account, console_client):
    day = {"date_after": "2026-12-01", "date_before": "2026-12-01"}
    page = console_client("owner").get(reverse("team:audit"), day).content.decode()
    assert "this range is empty" not in page


# Labels ----------------------------------------------------------------------------------------


def test_dropdowns_show_labels_and_the_api_keeps_the_values(account, api, console_client):
    recording = RecordingFactory(
        track=TrackFactory(participant__room__account=account, kind="video", codec="H264"),
        status="completed",
    )
    VoiceRecordingFactory(account=account, status="completed", source="OutboundAPI")
    client = console_client("viewer")
    video = client.get(reverse("recordings:list")).content.decode()
    assert '<option value="H264">H.264</option>' in video
    assert '<option value="OPUS">Opus</option>' in video
    voice = client.get(reverse("voice:list")).content.decode()
    assert '<option value="OutboundAPI">Outbound API</option>' in voice
    compositions = client.get(reverse("compositions:list")).content.decode()
    assert '<option value="webm">WebM</option>' in compositions

    assert api.get(f"/v1/Recordings/{recording.sid}").json()["codec"] == "H264"
    listed = api.get(f"/2010-04-01/Accounts/{account.sid}/Recordings.json").json()
    assert [r["source"] for r in listed["recordings"]] == ["OutboundAPI"]
