"""The trash's services and console pages (issue 19): bulk deletes into the trash, expiry (which
legal holds block), the purge and media sweep leaving it alone, the setting, and restore from the
trash page and a recording's details. The attacker's tests come first."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from console import services as console_services
from console.models import AuditEvent
from console.services import SYSTEM
from recordings.devtools.voice_simulator import simulate_call
from recordings.lifecycle import bulk, deletion, holds, retention, trash
from recordings.lifecycle.models import TrashedItem
from recordings.media.store import get_media_store
from recordings.video import services
from recordings.video.models import Recording
from recordings.voice import services as voice_services
from tests.lifecycle.test_trash_api import MEDIA, served, sha

pytestmark = pytest.mark.django_db

MEDIA_TASK = "recordings.tasks.delete_recordings_media"


@pytest.fixture
def trash_on(account):
    trash.account_trash_set(account=account, actor=SYSTEM, enabled=True)
    account.refresh_from_db()
    return account


@pytest.fixture
def trashed(account, trash_on, make_completed_recording, django_capture_on_commit_callbacks):
    """A completed recording with media, deleted into the trash."""
    recording = make_completed_recording(media=MEDIA)
    with django_capture_on_commit_callbacks(execute=True):
        services.recording_delete(recording=recording, actor=SYSTEM)
    recording.refresh_from_db()
    assert recording.status == "deleted"
    return recording


def in_store(recording) -> bool:
    return get_media_store().exists(recording.media_key)


def later(days: float) -> timezone.datetime:
    return timezone.now() + timedelta(days=days)


def expire(now, capture) -> int:
    with capture(execute=True):
        return trash.trash_expire(now=now)


# --- the attacker's tests ----------------------------------------------------------------------


def test_another_accounts_trashed_recording_is_not_restored_from_the_console(
    console_client, other_account, make_completed_recording, django_capture_on_commit_callbacks
):
    trash.account_trash_set(account=other_account, actor=SYSTEM, enabled=True)
    other_account.refresh_from_db()
    theirs = make_completed_recording(track__participant__room__account=other_account)
    with django_capture_on_commit_callbacks(execute=True):
        services.recording_delete(recording=theirs, actor=SYSTEM)
    admin = console_client("admin")

    assert admin.post(reverse("trash:restore", args=[theirs.sid])).status_code == 404
    assert theirs.sid not in admin.get(reverse("trash:list")).content.decode()
    assert Recording.objects.get(pk=theirs.pk).status == "deleted"
    assert TrashedItem.objects.filter(sid=theirs.sid).exists()


@pytest.mark.parametrize("role", ["viewer", "member"])
def test_a_member_may_neither_see_nor_restore_nor_switch_the_trash(
    console_client, account, trashed, role
):
    member = console_client(role)

    assert member.get(reverse("trash:list")).status_code == 403
    assert member.post(reverse("trash:restore", args=[trashed.sid])).status_code == 403
    assert member.post(reverse("trash:setting"), {}).status_code == 403
    detail = member.get(reverse("recordings:detail", args=[trashed.sid])).content.decode()
    assert "In the trash until" in detail and "Restore as" not in detail
    assert 'href="/trash/"' not in detail
    account.refresh_from_db()
    assert account.trash_enabled and Recording.objects.get(pk=trashed.pk).status == "deleted"


def test_restore_and_the_setting_need_the_csrf_token(account, trashed):
    membership = console_services.member_set(
        account=account, email="a@example.com", password=None, role="admin"
    )
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(membership.user)

    assert browser.post(reverse("trash:restore", args=[trashed.sid])).status_code == 403
    assert browser.post(reverse("trash:setting"), {}).status_code == 403
    account.refresh_from_db()
    assert account.trash_enabled and Recording.objects.get(pk=trashed.pk).status == "deleted"


# --- deleting into the trash -------------------------------------------------------------------


def test_a_bulk_deletion_puts_every_row_in_the_trash_and_queues_no_media_task(
    account, trash_on, make_completed_recording, monkeypatch, django_capture_on_commit_callbacks
):
    recordings = [make_completed_recording() for _ in range(3)]
    queued = []
    real_enqueue = deletion.enqueue

    def spy(task_name, *args, **options):
        queued.append(task_name)
        real_enqueue(task_name, *args, **options)

    monkeypatch.setattr(deletion, "enqueue", spy)

    with django_capture_on_commit_callbacks(execute=True):
        job = bulk.bulk_deletion_create(account=account, actor=SYSTEM, query="", sids=None)
    job.refresh_from_db()

    assert (job.status, job.done) == ("done", 3)
    assert MEDIA_TASK not in queued
    items = TrashedItem.objects.filter(account=account)
    assert sorted(items.values_list("sid", flat=True)) == sorted(r.sid for r in recordings)
    assert set(items.values_list("previous_status", flat=True)) == {"completed"}
    for recording in recordings:
        assert Recording.objects.get(pk=recording.pk).media_key == recording.media_key
        assert in_store(recording)


def test_trash_off_a_delete_removes_the_media_at_once(
    account, make_completed_recording, django_capture_on_commit_callbacks
):
    recording = make_completed_recording()

    with django_capture_on_commit_callbacks(execute=True):
        services.recording_delete(recording=recording, actor=SYSTEM)

    assert not in_store(recording)
    assert Recording.objects.get(pk=recording.pk).media_key == ""
    assert not TrashedItem.objects.exists()


def test_the_confirmation_pages_say_a_delete_goes_to_the_trash_only_when_it_is_on(
    account, console_client, make_completed_recording
):
    recording = make_completed_recording()
    admin = console_client("admin")

    def says(url: str, data=None) -> str:
        response = admin.post(url, data) if data else admin.get(url)
        return response.content.decode()

    single = reverse("recordings:delete", args=[recording.sid])
    bulk_page = reverse("bulk:select")
    selection = {"product": "video", "sid": [recording.sid]}
    assert "cannot be recovered" in says(single)
    assert "Their media files are removed" in says(bulk_page, selection)

    trash.account_trash_set(account=account, actor=SYSTEM, enabled=True)
    assert "It goes to the trash: its media file is kept 30 days" in says(single)
    assert "cannot be recovered" not in says(single)
    assert "They go to the trash: their media is kept 30 days" in says(bulk_page, selection)


def test_turning_the_trash_off_keeps_what_is_in_it(account, trashed, api):
    trash.account_trash_set(account=account, actor=SYSTEM, enabled=False)

    assert TrashedItem.objects.filter(sid=trashed.sid).exists()
    assert in_store(trashed)
    assert AuditEvent.objects.filter(action="trash.disable").count() == 1
    trash.trash_restore(account=account, actor=SYSTEM, sid=trashed.sid)
    assert sha(served(api, f"/v1/Recordings/{trashed.sid}/Media")) == sha(MEDIA)


# --- expiry, holds, the purge and the sweep ----------------------------------------------------


def test_expiry_removes_the_media_and_the_item_after_the_period(
    account, trashed, settings, django_capture_on_commit_callbacks
):
    assert expire(later(settings.TRASH_DAYS - 1), django_capture_on_commit_callbacks) == 0
    assert in_store(trashed)

    assert expire(later(settings.TRASH_DAYS + 0.01), django_capture_on_commit_callbacks) == 1

    assert not in_store(trashed)
    assert Recording.objects.get(pk=trashed.pk).media_key == ""
    assert not TrashedItem.objects.exists()
    assert AuditEvent.objects.filter(account=account, action="trash.expire").count() == 1


def test_a_held_item_stays_in_the_trash_until_released(
    account, trashed, settings, django_capture_on_commit_callbacks
):
    hold = holds.legal_hold_create(
        account=account, actor=SYSTEM, name="case 7", scope="room", value=trashed.room_id
    )
    after = later(settings.TRASH_DAYS + 1)

    assert expire(after, django_capture_on_commit_callbacks) == 0
    assert in_store(trashed) and TrashedItem.objects.filter(sid=trashed.sid).exists()

    holds.legal_hold_release(account=account, actor=SYSTEM, hold=hold)
    assert expire(after, django_capture_on_commit_callbacks) == 1
    assert not in_store(trashed) and not TrashedItem.objects.exists()


def test_the_media_sweep_and_the_purge_leave_the_trash_alone(
    account, trashed, settings, django_capture_on_commit_callbacks
):
    # Past the purge's retention too: only the trash's expiry may end a trashed recording.
    after = later(max(settings.TRASH_DAYS, settings.RECORDING_RETENTION_DAYS) + 1)
    with django_capture_on_commit_callbacks(execute=True):
        assert retention.recordings_media_sweep(now=after) == 0
        assert retention.recordings_purge(now=after) == 0

    assert in_store(trashed)
    assert Recording.objects.get(pk=trashed.pk).media_key == trashed.media_key
    assert TrashedItem.objects.filter(sid=trashed.sid).exists()


# --- the console -------------------------------------------------------------------------------


def test_the_trash_page_lists_a_kind_per_tab_with_a_restore_button(
    console_client, trashed, django_assert_max_num_queries
):
    admin = console_client("admin")

    with django_assert_max_num_queries(8):
        page = admin.get(reverse("trash:list")).content.decode()

    item = TrashedItem.objects.get(sid=trashed.sid)
    assert f'href="/recordings/{trashed.sid}/"' in page
    assert f"{trashed.track_name} in {trashed.room_id}" in page
    assert item.date_expires.strftime("%Y-%m-%d %H:%M") in page
    assert f'action="/trash/{trashed.sid}/restore/"' in page
    assert 'aria-current="page"' in page and "Voice recordings" in page
    voice_tab = admin.get(reverse("trash:list"), {"kind": "voice"}).content.decode()
    assert trashed.sid not in voice_tab and "No voice recording in the trash" in voice_tab


def test_the_trash_page_says_when_it_is_off_and_empty(console_client, account):
    page = console_client("admin").get(reverse("trash:list")).content.decode()

    assert "The trash is off and empty" in page
    assert "On changes what a delete means" in page


def test_an_admin_turns_the_trash_on_and_off(console_client, account):
    admin = console_client("admin")

    response = admin.post(reverse("trash:setting"), {"enabled": "on"}, follow=True)

    account.refresh_from_db()
    assert account.trash_enabled
    assert "The trash is on" in response.content.decode()
    admin.post(reverse("trash:setting"), {})
    account.refresh_from_db()
    assert not account.trash_enabled
    assert list(
        AuditEvent.objects.filter(action__startswith="trash.")
        .order_by("id")
        .values_list("action", flat=True)
    ) == [
        "trash.enable",
        "trash.disable",
    ]


def test_a_restore_from_the_trash_page_brings_back_the_exact_bytes(console_client, api, trashed):
    admin = console_client("admin")

    response = admin.post(reverse("trash:restore", args=[trashed.sid]), follow=True)

    assert f"{trashed.sid} is restored as completed" in response.content.decode()
    assert Recording.objects.get(pk=trashed.pk).status == "completed"
    assert sha(served(api, f"/v1/Recordings/{trashed.sid}/Media")) == sha(MEDIA)
    assert AuditEvent.objects.get(action="recording.restore").object_sid == trashed.sid


def test_the_details_page_says_until_when_and_restores(console_client, trashed):
    admin = console_client("admin")
    url = reverse("recordings:detail", args=[trashed.sid])

    page = admin.get(url).content.decode()
    assert "In the trash until" in page and "Restore as completed" in page

    response = admin.post(reverse("trash:restore", args=[trashed.sid]), {"back": "detail"})
    assert response.status_code == 302 and response["Location"] == url
    assert "In the trash until" not in admin.get(url).content.decode()


def test_a_trashed_voice_recordings_details_say_so(console_client, account, trash_on):
    _, recording = simulate_call(account=account, seconds=1)
    voice_services.voice_recording_delete(recording=recording, actor=SYSTEM)

    page = console_client("admin").get(reverse("voice:detail", args=[recording.sid]))

    assert "In the trash until" in page.content.decode()
    assert f'action="/trash/{recording.sid}/restore/"' in page.content.decode()
