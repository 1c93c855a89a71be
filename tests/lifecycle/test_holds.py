"""Legal holds (issue 19): the console's pages, what each scope covers, and the proof that a held
recording survives every path that deletes: a user's delete, a bulk deletion, the purge and the
media deletion; after the release each path works again. The attacker's tests come first."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from console import services as console_services
from console.models import AuditEvent
from console.services import SYSTEM, Actor
from recordings.compositions import services as composition_services
from recordings.compositions.kind import COMPOSITION
from recordings.compositions.models import Composition
from recordings.compositions.spec import spec_clean
from recordings.devtools.simulator import simulate_room
from recordings.devtools.voice_simulator import simulate_call
from recordings.lifecycle import bulk, deletion, holds, retention
from recordings.lifecycle.exceptions import RecordingHeld
from recordings.lifecycle.models import BulkDeletion, LegalHold
from recordings.media.store import get_media_store
from recordings.video import services as video_services
from recordings.video.kind import VIDEO
from recordings.video.models import Recording
from recordings.voice.kind import VOICE
from tests.factories import RecordingFactory, TrackFactory

pytestmark = pytest.mark.django_db

OWNER = Actor(name="user:owner@example.com", source_ip="127.0.0.1")
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def hold(account, name="Litigation", **scope) -> LegalHold:
    return holds.legal_hold_create(account=account, actor=OWNER, name=name, **scope)


def release(account, held: LegalHold) -> None:
    holds.legal_hold_release(account=account, actor=OWNER, hold=held)


def status_of(recording) -> str:
    return type(recording).objects.values_list("status", flat=True).get(pk=recording.pk)


@pytest.fixture
def room(account):
    """A completed room where alice and bob each recorded audio and video, with media."""
    return simulate_room(account=account, identities=["alice", "bob"], seconds=1)


def _of(recordings, identity: str) -> list[Recording]:
    return [r for r in recordings if r.participant.identity == identity]


# --- the attacker's tests ------------------------------------------------------------------------


def test_another_accounts_hold_is_a_404_on_every_page(console_client, other_account):
    theirs = hold(other_account, scope="participant", value="alice")
    owner = console_client("owner")

    for name in ("holds:detail", "holds:release"):
        assert owner.get(reverse(name, args=[theirs.sid])).status_code == 404
    response = owner.post(reverse("holds:release", args=[theirs.sid]), {"confirm": "True"})
    assert response.status_code == 404
    assert theirs.sid not in owner.get(reverse("holds:list")).content.decode()
    theirs.refresh_from_db()
    assert theirs.is_active


@pytest.mark.parametrize("role", ["viewer", "member", "admin"])
def test_lower_roles_see_holds_but_may_not_place_or_release_them(console_client, account, role):
    mine = hold(account, scope="participant", value="alice")
    browser = console_client(role)

    assert mine.sid in browser.get(reverse("holds:list")).content.decode()
    detail = browser.get(reverse("holds:detail", args=[mine.sid])).content.decode()
    assert "Release this hold" not in detail
    assert browser.get(reverse("holds:create")).status_code == 403
    posted = browser.post(
        reverse("holds:create"), {"name": "x", "scope": "participant", "value": "bob"}
    )
    assert posted.status_code == 403
    released = browser.post(reverse("holds:release", args=[mine.sid]), {"confirm": "True"})
    assert released.status_code == 403
    mine.refresh_from_db()
    assert mine.is_active and LegalHold.objects.count() == 1


def test_placing_a_hold_without_the_csrf_token_is_refused(account):
    membership = console_services.member_set(
        account=account, email="owner@example.com", password=None, role="owner"
    )
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(membership.user)

    response = browser.post(
        reverse("holds:create"), {"name": "x", "scope": "participant", "value": "bob"}
    )

    assert response.status_code == 403
    assert not LegalHold.objects.exists()


def test_anonymous_visitors_are_sent_to_log_in(client):
    assert client.get(reverse("holds:list"))["Location"].startswith("/login/")


# --- the pages -----------------------------------------------------------------------------------


def test_an_owner_places_a_hold_from_the_form_and_releases_it(console_client, account, room):
    owner = console_client("owner")
    room_row, recordings = room

    response = owner.post(
        reverse("holds:create"),
        {"name": "Case 42", "scope": "room", "value": room_row.sid, "reason": "Subpoena"},
        follow=True,
    )

    held = LegalHold.objects.get(account=account)
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("holds:detail", args=[held.sid])
    assert f"Legal hold {held.sid} placed on recordings and compositions of room" in page
    assert (
        '<tr><th scope="row"><a href="/recordings/">Recordings</a></th>'
        f"<td>{len(recordings)}</td></tr>" in page
    )
    assert AuditEvent.objects.filter(action="legal_hold.create", object_sid=held.sid).exists()

    confirm = owner.get(reverse("holds:release", args=[held.sid])).content.decode()
    assert f"Release legal hold {held.sid}" in confirm
    unconfirmed = owner.post(reverse("holds:release", args=[held.sid]), {}, follow=True)
    assert "Confirm the release" in unconfirmed.content.decode()
    held.refresh_from_db()
    assert held.is_active
    released = owner.post(
        reverse("holds:release", args=[held.sid]), {"confirm": "True"}, follow=True
    )
    assert "was released" in released.content.decode()
    held.refresh_from_db()
    assert not held.is_active and held.released_by == "user:owner@example.com"
    listed = owner.get(reverse("holds:list"), {"status": "released"}).content.decode()
    assert held.sid in listed
    assert held.sid not in owner.get(reverse("holds:list"), {"status": "active"}).content.decode()


def test_a_bad_scope_value_is_shown_on_its_field(console_client):
    owner = console_client("owner")

    response = owner.post(reverse("holds:create"), {"name": "x", "scope": "call", "value": "nope"})

    assert response.status_code == 200
    assert "A call is named by its SID" in response.content.decode()
    assert not LegalHold.objects.exists()


def test_hold_these_on_a_logs_page_opens_the_form_with_its_filter(console_client, room):
    owner = console_client("owner")
    room_row, _ = room

    logs = owner.get(reverse("recordings:list"), {"room": room_row.sid}).content.decode()
    assert 'id="hold-these"' in logs
    assert "product=video&amp;query=room%3D" + room_row.sid in logs
    form = owner.get(
        reverse("holds:create"), {"product": "video", "query": f"room={room_row.sid}"}
    ).content.decode()
    assert 'value="filter" required id="id_scope_3" checked' in form
    assert f'value="room={room_row.sid}"' in form
    assert (
        'id="hold-these"'
        not in console_client("admin").get(reverse("recordings:list")).content.decode()
    )


# --- a held item's pages and a user's delete ---------------------------------------------------


def _composition(room_row, django_capture_on_commit_callbacks) -> Composition:
    with django_capture_on_commit_callbacks(execute=True):
        made = composition_services.composition_create(
            room=room_row, spec=spec_clean(audio_sources=["*"], format="mp4"), actor=SYSTEM
        )
    return Composition.objects.get(pk=made.pk)


def test_held_items_pages_name_the_hold_and_their_delete_changes_nothing(
    console_client, account, room, django_capture_on_commit_callbacks
):
    room_row, recordings = room
    call, voice = simulate_call(account=account, seconds=1)
    composition = _composition(room_row, django_capture_on_commit_callbacks)
    by_room = hold(account, "Room case", scope="room", value=room_row.sid)
    by_call = hold(account, "Call case", scope="call", value=call.sid)
    admin = console_client("admin")

    for item, namespace, held in (
        (recordings[0], "recordings", by_room),
        (voice, "voice", by_call),
        (composition, "compositions", by_room),
    ):
        detail = admin.get(reverse(f"{namespace}:detail", args=[item.sid])).content.decode()
        assert (
            f'Under legal hold <a href="/holds/{held.sid}/"><code>{held.sid}</code></a> '
            f"({held.name})" in detail
        )
        assert 'id="delete-held"' in detail and 'class="button danger disabled" disabled' in detail
        assert reverse(f"{namespace}:delete", args=[item.sid]) not in detail
        confirm = admin.get(reverse(f"{namespace}:delete", args=[item.sid])).content.decode()
        assert "under legal hold and cannot be deleted" in confirm
        assert 'type="submit" class="danger"' not in confirm

        with django_capture_on_commit_callbacks(execute=True):
            response = admin.post(
                reverse(f"{namespace}:delete", args=[item.sid]), {"confirm": "True"}, follow=True
            )
        page = response.content.decode()
        assert f"is under legal hold {held.sid}" in page and "Nothing was changed." in page
        assert status_of(item) == "completed"
        assert get_media_store().exists(type(item).objects.get(pk=item.pk).media_key)

    release(account, by_room)
    detail = admin.get(reverse("recordings:detail", args=[recordings[0].sid])).content.decode()
    assert "Under legal hold" not in detail
    admin.post(reverse("recordings:delete", args=[recordings[0].sid]), {"confirm": "True"})
    assert status_of(recordings[0]) == "deleted"


# --- a bulk deletion ---------------------------------------------------------------------------


def test_a_bulk_deletion_skips_and_counts_held_recordings_and_deletes_the_rest(
    console_client, account, room, django_capture_on_commit_callbacks
):
    room_row, recordings = room
    held = hold(account, scope="participant", value="alice")
    alice, bob = _of(recordings, "alice"), _of(recordings, "bob")
    confirm = console_client("admin").post(
        reverse("bulk:select"), {"product": "video", "all": "on", "query": f"room={room_row.sid}"}
    )
    assert (
        f"{len(alice)} of them are under a legal hold: kept, and counted as held, not deleted."
        in confirm.content.decode()
    )

    with django_capture_on_commit_callbacks(execute=True):
        job = bulk.bulk_deletion_create(
            account=account, actor=OWNER, query=f"room={room_row.sid}", sids=None
        )

    job.refresh_from_db()
    assert (job.status, job.total, job.done, job.held) == (
        "done",
        len(recordings),
        len(bob),
        len(alice),
    )
    assert {status_of(r) for r in alice} == {"completed"}
    assert {status_of(r) for r in bob} == {"deleted"}
    assert all(get_media_store().exists(r.media_key) for r in alice)
    page = console_client("admin").get(reverse("bulk:progress", args=[job.pk])).content.decode()
    assert f'<span id="bulk-held-summary">{len(alice)} kept by a legal hold</span>' in page
    assert f'<dd id="bulk-held">{len(alice)}</dd>' in page

    release(account, held)
    with django_capture_on_commit_callbacks(execute=True):
        again = bulk.bulk_deletion_create(
            account=account, actor=OWNER, query=f"room={room_row.sid}", sids=None
        )
    again.refresh_from_db()
    assert (again.done, again.held) == (len(alice), 0)
    assert {status_of(r) for r in alice} == {"deleted"}


# --- the purge and the media deletion ----------------------------------------------------------


def test_the_purge_keeps_a_recording_held_after_its_deletion_even_past_retention(
    account, make_completed_recording, django_capture_on_commit_callbacks
):
    recording = make_completed_recording()
    with time_machine.travel(T0, tick=False), django_capture_on_commit_callbacks(execute=True):
        video_services.recording_delete(recording=recording, actor=SYSTEM)
    held = hold(account, scope="participant", value=recording.participant.identity)

    assert retention.recordings_purge(now=T0 + 400 * DAY) == 0
    assert Recording.objects.filter(pk=recording.pk).exists()

    release(account, held)
    assert retention.recordings_purge(now=T0 + 400 * DAY) == 1
    assert not Recording.objects.filter(pk=recording.pk).exists()


def test_media_deletion_keeps_a_held_deleted_recordings_file(account, make_completed_recording):
    recording = make_completed_recording()
    # Deleted without running its media task (queued on commit, which never comes here).
    video_services.recording_delete(recording=recording, actor=SYSTEM)
    held = hold(account, scope="participant", value=recording.participant.identity)
    media = get_media_store().open(recording.media_key).read()

    deletion.recordings_media_delete(recording_sids=[recording.sid])

    assert get_media_store().open(recording.media_key).read() == media
    assert Recording.objects.get(pk=recording.pk).media_key == recording.media_key
    release(account, held)
    deletion.recordings_media_delete(recording_sids=[recording.sid])
    assert not get_media_store().exists(recording.media_key)


# --- what each scope covers --------------------------------------------------------------------


def test_a_room_hold_covers_that_rooms_recordings_and_compositions_only(
    account, room, django_capture_on_commit_callbacks
):
    room_row, recordings = room
    _, elsewhere = simulate_room(account=account, identities=["alice"], seconds=1)
    composition = _composition(room_row, django_capture_on_commit_callbacks)

    held = hold(account, scope="room", value="RM" + room_row.sid[2:].upper())

    assert holds.hold_counts(held) == {"video": len(recordings), "composition": 1}
    assert holds.holds_on(VIDEO, account=account, sid=elsewhere[0].sid) == []
    assert [h.sid for h in holds.holds_on(COMPOSITION, account=account, sid=composition.sid)] == [
        held.sid
    ]


def test_a_participant_hold_covers_that_exact_identity_in_its_own_account_only(
    account, other_account
):
    mine = RecordingFactory(
        track=TrackFactory(participant__room__account=account, participant__identity="alice"),
        status="completed",
    )
    alice2 = RecordingFactory(
        track=TrackFactory(participant__room__account=account, participant__identity="alice2"),
        status="completed",
    )
    theirs = RecordingFactory(
        track=TrackFactory(participant__room__account=other_account, participant__identity="alice"),
        status="completed",
    )
    hold(other_account, scope="participant", value="alice")

    with pytest.raises(RecordingHeld):
        deletion.soft_delete(VIDEO, account=other_account, sids=[theirs.sid], actor=OWNER)
    # The other account's hold on "alice" protects nothing of this account.
    assert deletion.soft_delete(VIDEO, account=account, sids=[mine.sid, alice2.sid], actor=OWNER)
    assert (status_of(mine), status_of(alice2), status_of(theirs)) == (
        "deleted",
        "deleted",
        "completed",
    )


def test_a_call_hold_covers_that_calls_recordings_only(account, other_account):
    call, held_recording = simulate_call(account=account, seconds=1)
    _, free = simulate_call(account=account, seconds=1)
    _, theirs = simulate_call(account=other_account, seconds=1)
    held = hold(account, scope="call", value=call.sid)

    assert holds.hold_counts(held) == {"voice": 1}
    assert holds.held_among(VOICE, account=account, sids=[held_recording.sid, free.sid]) == {
        held_recording.sid: held
    }
    assert holds.held_among(VOICE, account=other_account, sids=[theirs.sid]) == {}


def test_a_filter_hold_on_a_date_range_covers_what_was_created_in_it(
    account, other_account, django_capture_on_commit_callbacks
):
    track = TrackFactory(participant__room__account=account)
    inside = RecordingFactory(
        track=track, status="completed", date_created=datetime(2026, 1, 15, tzinfo=UTC)
    )
    before = RecordingFactory(
        track=track, status="completed", date_created=datetime(2025, 12, 31, 23, tzinfo=UTC)
    )
    after = RecordingFactory(
        track=track, status="completed", date_created=datetime(2026, 2, 1, tzinfo=UTC)
    )
    foreign = RecordingFactory(
        track=TrackFactory(participant__room__account=other_account),
        status="completed",
        date_created=datetime(2026, 1, 15, tzinfo=UTC),
    )

    held = hold(
        account,
        scope="filter",
        product="video",
        query="?date_from=2026-01-01T00:00&date_to=2026-02-01T00:00",
    )

    assert holds.hold_counts(held) == {"video": 1}
    sids = [inside.sid, before.sid, after.sid]
    assert list(holds.held_among(VIDEO, account=account, sids=sids)) == [inside.sid]
    assert holds.held_among(VIDEO, account=other_account, sids=[foreign.sid]) == {}
    with django_capture_on_commit_callbacks(execute=True):
        job = bulk.bulk_deletion_create(account=account, actor=OWNER, query="", sids=None)
    job.refresh_from_db()
    assert (job.done, job.held) == (2, 1)
    assert status_of(inside) == "completed" and status_of(foreign) == "completed"
    assert BulkDeletion.objects.count() == 1
