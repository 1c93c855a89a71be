"""Rooms pages: list, details with the recording-rules editor, ending a room; roles and isolation.

Live rooms are built through the services (as the media server would drive them); after every
change made through a page we look at what is being captured now.
"""

import json
from html import escape
from types import SimpleNamespace

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from console.models import AuditEvent
from console.services import SYSTEM
from recordings.video import selectors, services
from recordings.video.choices import RoomStatus
from recordings.video.models import Room
from recordings.video.rules import InvalidRules, parse_rules
from recordings.video.views import rooms as rooms_views
from tests.factories import ParticipantFactory, RoomFactory
from tests.helpers import INVALID_RULES

EVERY_TRACK = {"alice-audio", "alice-cam", "bob-audio", "bob-cam"}
START_RULES = [{"type": "include", "track": "alice-audio"}]


def build_live_room(account, name="standup", type="group"):
    room = services.room_create(account=account, unique_name=name, type=type)
    alice = services.participant_connect(room=room, identity="alice")
    bob = services.participant_connect(room=room, identity="bob")
    for who in (alice, bob):
        services.track_publish(
            participant=who, name=f"{who.identity}-audio", kind="audio", codec="OPUS"
        )
        services.track_publish(
            participant=who, name=f"{who.identity}-cam", kind="video", codec="VP8"
        )
    return SimpleNamespace(room=room, alice=alice, bob=bob)


def recorded(room) -> set[str]:
    """Return the names of the tracks being captured in the room now."""
    return {r.track_name for r in selectors.recordings_capturing(room=room)}


def stored_rules(room):
    row = selectors.recording_rules_get(room=room)
    return row.rules if row else None


@pytest.fixture
def live(account):
    live = build_live_room(account)
    services.recording_rules_update(room=live.room, document=json.dumps(START_RULES), actor=SYSTEM)
    assert recorded(live.room) == {"alice-audio"}
    return live


@pytest.fixture
def theirs(other_account):
    live = build_live_room(other_account, name="their-room")
    services.recording_rules_update(room=live.room, document=json.dumps(START_RULES), actor=SYSTEM)
    return live.room


def url(name, room):
    return reverse(f"rooms:{name}", args=[room.sid])


def user_rule_updates():
    return AuditEvent.objects.filter(action="recording_rules.update", actor__startswith="user:")


# --- the rules editor -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("form", "expected_rules", "expected_tracks"),
    [
        ({"action": "record_all"}, [{"type": "include", "all": True}], EVERY_TRACK),
        ({"action": "stop_all"}, [{"type": "exclude", "all": True}], set()),
        (
            {"action": "audio_only"},
            [{"type": "include", "kind": "audio"}],
            {"alice-audio", "bob-audio"},
        ),
        (
            {"action": "participant", "publisher": "bob"},
            [{"type": "include", "publisher": "bob"}],
            {"bob-audio", "bob-cam"},
        ),
        (
            {
                "action": "json",
                "rules": '[{"type": "include", "all": true},'
                ' {"type": "exclude", "track": "bob-cam"}]',
            },
            [{"type": "include", "all": True}, {"type": "exclude", "track": "bob-cam"}],
            {"alice-audio", "alice-cam", "bob-audio"},
        ),
    ],
    ids=["record-everything", "stop-everything", "audio-only", "only-bob", "json"],
)
def test_each_rules_action_changes_what_is_recorded(
    console_client, live, form, expected_rules, expected_tracks
):
    client = console_client("member")
    response = client.post(url("rules", live.room), form)
    assert response.status_code == 302
    assert response["Location"] == url("detail", live.room)
    assert stored_rules(live.room) == expected_rules
    assert recorded(live.room) == expected_tracks
    event = user_rule_updates().get()
    assert (event.actor, event.object_sid) == ("user:member@example.com", live.room.sid)
    page = client.get(response["Location"])
    assert "Recording rules updated" in page.content.decode()
    assert escape(json.dumps(expected_rules, indent=2)) in page.content.decode()


def test_stop_everything_after_record_everything_stops_every_recording(console_client, live):
    client = console_client("member")
    client.post(url("rules", live.room), {"action": "record_all"})
    assert recorded(live.room) == EVERY_TRACK
    client.post(url("rules", live.room), {"action": "stop_all"})
    assert recorded(live.room) == set()


@pytest.mark.parametrize("document", INVALID_RULES.values(), ids=INVALID_RULES.keys())
def test_invalid_rules_are_shown_with_the_reason_and_change_nothing(console_client, live, document):
    with pytest.raises(InvalidRules) as caught:
        parse_rules(document)
    response = console_client("member").post(url("rules", live.room), {"rules": document})
    assert response.status_code == 400
    content = response.content.decode()
    assert escape(caught.value.reason) in content
    if caught.value.index is not None:
        assert f"Rule {caught.value.index + 1}" in content
    assert "The rules were not changed" in content
    assert "Traceback" not in content
    # The text the user typed is given back to be corrected.
    assert f">{escape(document)}</textarea>" in content
    assert stored_rules(live.room) == START_RULES
    assert recorded(live.room) == {"alice-audio"}
    assert not user_rule_updates().exists()


def test_the_reason_names_the_wrong_rule(console_client, live):
    document = '[{"type": "include", "all": true}, {"type": "exclude", "kind": "data"}]'
    response = console_client("member").post(url("rules", live.room), {"rules": document})
    assert response.status_code == 400
    assert (
        escape('Rule 2: "kind" must be "audio" or "video", not "data".')
        in response.content.decode()
    )
    assert response.context["rules_error_index"] == 1


@pytest.mark.parametrize("room_type", ["go", "peer-to-peer"])
def test_rules_in_a_room_without_rules_answer_a_message(console_client, account, room_type):
    room = services.room_create(account=account, unique_name="p2p", type=room_type)
    client = console_client("member")
    page = client.get(url("detail", room)).content.decode()
    label = {"go": "Go", "peer-to-peer": "Peer-to-peer"}[room_type]
    assert f"Recording rules are not supported in {label} rooms" in page
    assert 'name="rules"' not in page
    response = client.post(url("rules", room), {"action": "record_all"})
    assert response.status_code == 400
    assert f"Recording rules are not supported in {room_type} rooms" in response.content.decode()
    assert stored_rules(room) is None


def test_rules_of_an_ended_room_cannot_be_changed(console_client, live):
    services.room_complete(room=live.room)
    client = console_client("member")
    page = client.get(url("detail", live.room)).content.decode()
    assert "This room has ended" in page
    assert "Record everything" not in page
    response = client.post(url("rules", live.room), {"action": "record_all"})
    assert response.status_code == 400
    assert "rules can change only while it is in progress" in response.content.decode()
    assert stored_rules(live.room) == START_RULES
    assert not user_rule_updates().exists()


def test_the_participant_select_lists_connected_participants_only(console_client, live):
    services.participant_disconnect(participant=live.alice)
    page = console_client("member").get(url("detail", live.room)).content.decode()
    assert '<option value="bob">bob</option>' in page
    assert '<option value="alice">' not in page


def test_rules_page_answers_only_post(console_client, live):
    assert console_client("member").get(url("rules", live.room)).status_code == 405


# --- the detail page --------------------------------------------------------------------------


def test_detail_shows_participants_tracks_and_what_is_recorded_now(console_client, live):
    services.participant_disconnect(participant=live.bob)
    response = console_client("viewer").get(url("detail", live.room))
    assert response.status_code == 200
    content = response.content.decode()
    for text in ("alice", "bob", "Connected", "Disconnected", *EVERY_TRACK, "Opus", "VP8"):
        assert text in content
    (capturing,) = selectors.recordings_capturing(room=live.room)
    assert f'<span class="badge">Recording</span> <code>{capturing.sid}</code>' in content
    assert content.count('<span class="badge">Recording</span>') == 1
    assert escape(json.dumps(START_RULES, indent=2)) in content
    # The room's recordings are listed.
    assert capturing.sid in content


def test_detail_lists_the_rooms_recordings_with_links_when_the_detail_page_exists(
    console_client, live
):
    (capturing,) = selectors.recordings_capturing(room=live.room)
    content = console_client("viewer").get(url("detail", live.room)).content.decode()
    try:
        detail_url = reverse("recordings:detail", args=[capturing.sid])
    except NoReverseMatch:  # the Recordings pages are another group's; without them, plain text
        detail_url = None
    if detail_url:
        assert f'href="{detail_url}"' in content
    else:
        assert f"<code>{capturing.sid}</code>" in content


# --- ending a room ----------------------------------------------------------------------------


def test_end_room_asks_for_confirmation_then_ends_it(console_client, live):
    client = console_client("member")
    detail = client.get(url("detail", live.room)).content.decode()
    assert f'href="{url("end", live.room)}"' in detail
    confirm = client.get(url("end", live.room))
    assert confirm.status_code == 200
    text = confirm.content.decode()
    assert "its 2 connected participants" in text
    assert "the 1 recording in progress" in text
    assert Room.objects.get(pk=live.room.pk).status == RoomStatus.IN_PROGRESS

    response = client.post(url("end", live.room))
    assert response.status_code == 302
    assert response["Location"] == url("detail", live.room)
    room = Room.objects.get(pk=live.room.pk)
    assert room.status == RoomStatus.COMPLETED
    assert room.end_time is not None
    assert recorded(room) == set()
    event = AuditEvent.objects.get(action="room.complete")
    assert (event.actor, event.object_sid) == ("user:member@example.com", room.sid)
    page = client.get(response["Location"]).content.decode()
    assert "ended; its recordings stopped" in page
    assert "End this room" not in page


def test_ending_an_ended_room_says_so(console_client, live):
    services.room_complete(room=live.room)
    client = console_client("member")
    assert "already ended" in client.get(url("end", live.room)).content.decode()
    response = client.post(url("end", live.room), follow=True)
    assert "had already ended" in response.content.decode()
    assert not AuditEvent.objects.filter(action="room.complete", actor__startswith="user:")


# --- the list ---------------------------------------------------------------------------------


def test_list_shows_rooms_newest_first_with_figures(console_client, account, live):
    old = RoomFactory(
        account=account,
        unique_name="old",
        status=RoomStatus.COMPLETED,
        date_created=timezone.now() - timezone.timedelta(days=2),
        end_time=timezone.now() - timezone.timedelta(days=2) + timezone.timedelta(seconds=125),
    )
    ParticipantFactory.create_batch(3, room=old)
    response = console_client("viewer").get(reverse("rooms:list"))
    assert response.status_code == 200
    rows = response.context["page"].rows
    assert [r.sid for r in rows] == [live.room.sid, old.sid]
    assert [r.participant_count for r in rows] == [2, 3]
    assert [r.recording_now for r in rows] == [True, False]
    content = response.content.decode()
    assert "2:05" in content
    assert "Recording now" in content


def test_list_filters_by_status_and_unique_name(console_client, account, live):
    ended = build_live_room(account, name="retro").room
    services.room_complete(room=ended)
    client = console_client("viewer")

    def sids(**query):
        return [r.sid for r in client.get(reverse("rooms:list"), query).context["page"].rows]

    assert sids(status="in-progress") == [live.room.sid]
    assert sids(status="completed") == [ended.sid]
    assert sids(name="retro") == [ended.sid]
    assert sids(name="retro", status="in-progress") == []
    assert sids(name="nope") == []
    assert sids(status="bogus") == [ended.sid, live.room.sid]  # an invalid filter is ignored
    assert (
        "No room matches these filters"
        in client.get(reverse("rooms:list"), {"name": "nope"}).content.decode()
    )


def test_list_pages_by_keyset_forwards_and_back(console_client, account, monkeypatch):
    monkeypatch.setattr(rooms_views, "PAGE_SIZE", 3)
    now = timezone.now()
    made = [
        RoomFactory(account=account, date_created=now - timezone.timedelta(minutes=i))
        for i in range(7)
    ]
    # Two rooms at the same instant: the SID breaks the tie, and neither is skipped.
    made.append(RoomFactory(account=account, date_created=made[3].date_created))
    expected = [r.sid for r in sorted(made, key=lambda r: (r.date_created, r.sid), reverse=True)]
    client = console_client("viewer")
    seen, pages, next_url = [], [], reverse("rooms:list")
    while next_url:
        response = client.get(
            reverse("rooms:list") + next_url if next_url.startswith("?") else next_url
        )
        pages.append(response)
        seen += [r.sid for r in response.context["page"].rows]
        next_url = response.context["next_url"]
    assert seen == expected
    assert len(pages) == 3
    assert pages[0].context["previous_url"] is None
    back = client.get(reverse("rooms:list") + pages[2].context["previous_url"])
    assert [r.sid for r in back.context["page"].rows] == expected[3:6]
    assert back.context["previous_url"] is not None
    # Filters are kept in the paging links; a mangled token starts from the top.
    filtered = client.get(reverse("rooms:list"), {"status": "in-progress"})
    assert "status=in-progress" in filtered.context["next_url"]
    broken = client.get(reverse("rooms:list"), {"page": "garbage"})
    assert [r.sid for r in broken.context["page"].rows] == expected[:3]


def test_list_is_empty_with_a_hint(console_client):
    content = console_client("viewer").get(reverse("rooms:list")).content.decode()
    assert "No rooms yet" in content


# --- roles, anonymous, isolation --------------------------------------------------------------


@pytest.mark.parametrize("name", ["list", "detail", "rules", "end"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_is_sent_to_sign_in(client, live, name, method):
    target = reverse("rooms:list") if name == "list" else url(name, live.room)
    response = getattr(client, method)(target, {"action": "stop_all"} if method == "post" else {})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert stored_rules(live.room) == START_RULES
    assert Room.objects.get(pk=live.room.pk).status == RoomStatus.IN_PROGRESS


@pytest.mark.parametrize("role", ["viewer", "member", "admin", "owner"])
def test_every_role_sees_the_list_and_the_details(console_client, live, role):
    client = console_client(role)
    assert client.get(reverse("rooms:list")).status_code == 200
    page = client.get(url("detail", live.room))
    assert page.status_code == 200
    editable = role != "viewer"
    content = page.content.decode()
    assert ("Record everything" in content) is editable
    assert (f'href="{url("end", live.room)}"' in content) is editable
    assert ("can see this room's rules but not change them" in content) is not editable


def test_viewer_cannot_change_rules_or_end_the_room(console_client, live):
    client = console_client("viewer")
    assert client.post(url("rules", live.room), {"action": "record_all"}).status_code == 403
    assert client.post(url("rules", live.room), {"rules": "[]"}).status_code == 403
    assert client.get(url("end", live.room)).status_code == 403
    assert client.post(url("end", live.room)).status_code == 403
    assert stored_rules(live.room) == START_RULES
    assert recorded(live.room) == {"alice-audio"}
    assert Room.objects.get(pk=live.room.pk).status == RoomStatus.IN_PROGRESS
    assert not AuditEvent.objects.filter(actor__startswith="user:").exists()


@pytest.mark.parametrize("role", ["member", "admin", "owner"])
def test_members_and_above_may_change_rules_and_end_rooms(console_client, live, role):
    client = console_client(role)
    assert client.post(url("rules", live.room), {"action": "audio_only"}).status_code == 302
    assert recorded(live.room) == {"alice-audio", "bob-audio"}
    assert client.get(url("end", live.room)).status_code == 200
    assert client.post(url("end", live.room)).status_code == 302
    assert Room.objects.get(pk=live.room.pk).status == RoomStatus.COMPLETED


def test_another_accounts_room_does_not_exist_here(console_client, live, theirs):
    client = console_client("owner")
    assert client.get(url("detail", theirs)).status_code == 404
    assert client.post(url("rules", theirs), {"action": "stop_all"}).status_code == 404
    assert client.post(url("rules", theirs), {"rules": "[]"}).status_code == 404
    assert client.get(url("end", theirs)).status_code == 404
    assert client.post(url("end", theirs)).status_code == 404
    assert stored_rules(theirs) == START_RULES
    assert recorded(theirs) == {"alice-audio"}
    assert Room.objects.get(pk=theirs.pk).status == RoomStatus.IN_PROGRESS
    sids = [r.sid for r in client.get(reverse("rooms:list")).context["page"].rows]
    assert sids == [live.room.sid]
    # By unique name or an unknown SID: the same 404.
    assert client.get(reverse("rooms:detail", args=["their-room"])).status_code == 404
    assert client.get(reverse("rooms:detail", args=["RM" + "0" * 32])).status_code == 404


def test_a_user_without_an_account_is_refused(client, django_user_model, live):
    client.force_login(django_user_model.objects.create_user("lonely@example.com"))
    assert client.get(reverse("rooms:list")).status_code == 403
    assert client.post(url("rules", live.room), {"action": "stop_all"}).status_code == 403
    assert stored_rules(live.room) == START_RULES


# --- query counts -----------------------------------------------------------------------------

# session, user, membership (page), rooms page, the layout's two membership reads
LIST_QUERIES = 6
# ... room, participants, their tracks, capturing, recordings, rules, connected participants,
# the compositions section's list (an ended room adds its video publishers for the form), and
# for a role that may play, the player's recordings and its count of the others
DETAIL_QUERIES = 15
# ... plus the locked room read and the savepoint of the refused update
RULES_ERROR_QUERIES = 19


def test_list_queries_do_not_grow_with_rooms(
    console_client, account, django_assert_max_num_queries
):
    client = console_client("viewer")
    for i in range(3):
        build_live_room(account, name=f"room-{i}")
    with django_assert_max_num_queries(LIST_QUERIES):
        assert len(client.get(reverse("rooms:list")).context["page"].rows) == 3
    for _ in range(9):
        room = RoomFactory(account=account, status=RoomStatus.COMPLETED)
        ParticipantFactory.create_batch(2, room=room)
    with django_assert_max_num_queries(LIST_QUERIES):
        assert len(client.get(reverse("rooms:list")).context["page"].rows) == 12


def test_detail_queries_do_not_grow_with_participants(
    console_client, live, django_assert_max_num_queries
):
    client = console_client("member")
    with django_assert_max_num_queries(DETAIL_QUERIES):
        assert client.get(url("detail", live.room)).status_code == 200
    for identity in ("carl", "dana", "erin"):
        who = services.participant_connect(room=live.room, identity=identity)
        services.track_publish(
            participant=who, name=f"{identity}-audio", kind="audio", codec="OPUS"
        )
    client.post(url("rules", live.room), {"action": "record_all"})
    with django_assert_max_num_queries(DETAIL_QUERIES):
        assert client.get(url("detail", live.room)).status_code == 200


def test_rules_error_page_queries_are_bounded(console_client, live, django_assert_max_num_queries):
    client = console_client("member")
    with django_assert_max_num_queries(RULES_ERROR_QUERIES):
        assert client.post(url("rules", live.room), {"rules": "[]"}).status_code == 400
