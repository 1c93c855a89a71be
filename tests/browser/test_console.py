"""The console in real headless Chromium: what a person sees and can do on each main page.

Data is real: rooms run through the simulator (real OPUS/VP8 Matroska media), users sign in
through the login form, media plays and seeks in the browser's own player over signed URLs.
"""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import NoReverseMatch, reverse

from console import services as console_services
from console.roles import Role
from recordings.media.store import get_media_store
from recordings.video.choices import RecordingStatus
from recordings.video.models import Recording
from tests.browser.conftest import PASSWORD, sign_in
from tests.factories import ParticipantFactory, RecordingFactory, RoomFactory, TrackFactory

pytestmark = pytest.mark.browser
expect = pytest.importorskip(
    "playwright.sync_api", reason="browser tests need the playwright package: pip install '.[dev]'"
).expect

MEDIA_READY = "el => el.readyState >= 1 && isFinite(el.duration) && el.duration > 0"
SEEK = """el => new Promise(resolve => {
    el.addEventListener("seeked", () => resolve(el.currentTime), {once: true});
    el.currentTime = el.duration / 2;
})"""


def url_name_exists(name: str, *args) -> bool:
    try:
        reverse(name, args=args)
    except NoReverseMatch:
        return False
    return True


def needs(name: str, page: str, *args):
    """Skip a test whose page is not routed yet (its URL name does not resolve)."""
    return pytest.mark.skipif(not url_name_exists(name, *args), reason=f"{page} not built yet")


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def table_rows(page):
    return page.locator("main table tbody tr")


# -- Sign in -----------------------------------------------------------------------------------


def test_sign_in_refuses_a_wrong_password_then_lands_on_the_dashboard(page, demo, screenshot):
    page.goto(f"{demo.url}/recordings/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/recordings/"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    screenshot(page, "login")

    page.get_by_label("Email").fill("owner@example.com")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("main .errorlist")).to_contain_text("do not match an account")
    expect(page).to_have_url(re.compile(r"/login/"))
    expect(page.get_by_label("Password")).to_have_value("")

    sign_in(page, demo.url, "Owner@Example.com", PASSWORD)  # emails are case-insensitive
    page.wait_for_url(f"{demo.url}/")
    expect(page.get_by_role("heading", name=re.compile("Dashboard"))).to_contain_text("Acme Video")
    # Four completed recordings of the finished room, two still processing in the live one.
    totals = page.locator("section[aria-labelledby=totals-heading]")
    expect(totals.get_by_role("link", name="4", exact=True)).to_have_attribute(
        "href", "/recordings/?status=completed"
    )
    expect(totals.get_by_role("link", name="2", exact=True)).to_have_attribute(
        "href", "/recordings/?status=processing"
    )
    rooms = page.locator("section[aria-labelledby=rooms-heading]")
    expect(rooms.get_by_role("link", name="live-workshop")).to_be_visible()
    expect(page.locator("svg[role=img] rect").first).to_be_attached()
    screenshot(page, "dashboard")


# -- Recordings Logs ---------------------------------------------------------------------------


@needs("recordings:list", "Recordings Logs")
def test_logs_filters_live_in_the_url_and_back_restores_them(signed_in, demo, screenshot):
    page = signed_in
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Recordings", exact=True
    ).click()
    expect(page.get_by_role("heading", name="Recordings", exact=True)).to_be_visible()
    expect(table_rows(page)).to_have_count(6)
    screenshot(page, "recordings")

    filters = page.get_by_role("search", name="Filter recordings")
    filters.get_by_label("Room (SID or unique name)").fill("weekly-standup")
    filters.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"room=weekly-standup"))
    assert query_of(page.url)["room"] == ["weekly-standup"]
    expect(table_rows(page)).to_have_count(4)
    for text in table_rows(page).all_inner_texts():
        assert "weekly-standup" in text and "Completed" in text
    expect(page.locator("#match-count")).to_contain_text("4 recordings match these filters")

    filters.get_by_label("Room (SID or unique name)").fill("")
    filters.get_by_label("Status").select_option("processing")
    filters.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"status=processing"))
    assert "room" not in {k for k, v in query_of(page.url).items() if v != [""]}
    expect(table_rows(page)).to_have_count(2)
    for text in table_rows(page).all_inner_texts():
        assert "live-workshop" in text and "Processing" in text

    page.go_back()
    page.wait_for_url(re.compile(r"room=weekly-standup"))
    # The fields show the filter of the rows, not what was typed before leaving.
    expect(filters.get_by_label("Room (SID or unique name)")).to_have_value("weekly-standup")
    expect(filters.get_by_label("Status")).to_have_value("")
    expect(page.locator("#match-count")).to_contain_text("4 recordings match these filters")
    expect(table_rows(page)).to_have_count(4)
    for text in table_rows(page).all_inner_texts():
        assert "weekly-standup" in text
    page.go_forward()
    page.wait_for_url(re.compile(r"status=processing"))
    expect(filters.get_by_label("Status")).to_have_value("processing")
    expect(table_rows(page)).to_have_count(2)
    page.go_back()
    page.wait_for_url(re.compile(r"room=weekly-standup"))

    filters.get_by_label("Room (SID or unique name)").fill("no-such-room")
    filters.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_text("No recording matches these filters.")).to_be_visible()
    expect(table_rows(page)).to_have_count(0)


# -- Recording details: play, seek, download, delete -------------------------------------------


@needs("recordings:detail", "Recording details", "RT" + "0" * 32)
@pytest.mark.parametrize("kind", ["audio", "video"])
def test_a_recording_plays_and_seeks_in_the_browser(signed_in, demo, kind, screenshot):
    recording = demo.recording(kind)
    page = signed_in
    page.goto(f"{demo.url}/recordings/")
    page.get_by_role("link", name=recording.sid).click()
    expect(page.get_by_role("heading", name=f"Recording {recording.sid}")).to_be_visible()
    expect(page.locator("#recording-status")).to_have_text("Completed")

    player = page.locator(f"main {kind}")
    expect(player).to_have_attribute("controls", "")
    handle = player.element_handle()
    page.wait_for_function(MEDIA_READY, arg=handle)
    duration = player.evaluate("el => el.duration")
    assert 2 <= duration <= 4, duration  # the simulator made 3 s of media
    position = player.evaluate(SEEK)
    assert abs(position - duration / 2) < 0.5, (position, duration)
    assert player.evaluate("el => el.error") is None
    if kind == "video":
        assert player.evaluate("el => el.videoWidth") > 0
        screenshot(page, "recording-details")


@needs("recordings:media", "Recording media", "RT" + "0" * 32)
def test_download_gives_the_stored_media(signed_in, demo):
    recording = demo.recording("audio")
    page = signed_in
    page.goto(f"{demo.url}/recordings/{recording.sid}/")
    with page.expect_download() as download_info:
        page.get_by_role("link", name=f"Download {recording.sid}.mka").click()
    download = download_info.value
    assert download.failure() is None
    assert download.suggested_filename == f"{recording.sid}.mka"
    with open(download.path(), "rb") as got, get_media_store().open(recording.media_key) as stored:
        body = got.read()
        assert body == stored.read()
    assert len(body) == recording.size > 1000


@needs("recordings:delete", "Recording deletion", "RT" + "0" * 32)
def test_delete_one_recording_through_its_confirmation_page(signed_in, demo):
    recording = demo.recording("video")
    page = signed_in
    page.goto(f"{demo.url}/recordings/{recording.sid}/")
    page.get_by_role("link", name="Delete this recording…").click()
    expect(page.get_by_role("heading", name=f"Delete recording {recording.sid}?")).to_be_visible()
    assert Recording.objects.get(pk=recording.pk).status == RecordingStatus.COMPLETED  # GET only

    page.get_by_role("button", name=f"Delete recording {recording.sid}").click()
    page.wait_for_url(f"{demo.url}/recordings/{recording.sid}/")
    expect(page.get_by_role("status")).to_contain_text(f"Recording {recording.sid} was deleted.")
    expect(page.locator("#recording-status")).to_have_text("Deleted")
    expect(page.locator("#no-player")).to_contain_text("was deleted")
    expect(page.locator("#purge-date")).to_be_visible()
    expect(page.locator("main video")).to_have_count(0)
    expect(page.get_by_role("link", name="Delete this recording…")).to_have_count(0)
    assert not get_media_store().exists(recording.media_key)

    # Gone from the default list, back with "Any, deleted too".
    page.goto(f"{demo.url}/recordings/?room=weekly-standup")
    expect(table_rows(page)).to_have_count(3)
    page.get_by_label("Status").select_option("all")
    page.get_by_role("button", name="Apply filters").click()
    expect(table_rows(page)).to_have_count(4)
    expect(table_rows(page).filter(has_text=recording.sid)).to_contain_text("Deleted")


# -- Bulk deletion -----------------------------------------------------------------------------


def make_archive(account, count: int):
    """Quickly store ``count`` completed recordings (no media) of one room, "archive-2025"."""
    room = RoomFactory(account=account, unique_name="archive-2025")
    track = TrackFactory(participant=ParticipantFactory(room=room, identity="archivist"))
    recordings = [
        RecordingFactory.build(track=track, status=RecordingStatus.COMPLETED, duration=60, size=1)
        for _ in range(count)
    ]
    Recording.objects.bulk_create(recordings, batch_size=250)
    return room


@needs("bulk:progress", "Bulk deletion", 1)
def test_bulk_delete_500_recordings_matching_a_filter(signed_in, demo, screenshot):
    make_archive(demo.account, 500)
    page = signed_in
    page.goto(f"{demo.url}/recordings/")
    page.get_by_label("Room (SID or unique name)").fill("archive-2025")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator("#match-count")).to_contain_text("500 recordings match these filters")

    page.get_by_role("button", name="Select all 500 recordings matching this filter…").click()
    expect(page.get_by_role("heading", name="Delete recordings")).to_be_visible()
    expect(page.locator("main")).to_contain_text("This deletes 500 recordings.")
    expect(page.locator("#bulk-selection")).to_contain_text(
        "Recordings with room name starting with “archive-2025” (any case)"
    )
    expect(table_rows(page)).to_have_count(20)  # a sample
    assert Recording.objects.filter(status=RecordingStatus.DELETED).count() == 0

    page.get_by_role("button", name="Delete 500 recordings").click()
    page.wait_for_url(re.compile(r"/recordings/bulk/\d+/$"))
    # The page refreshes itself (no JavaScript needed) until the job is done.
    expect(page.locator(".bulk-percent")).to_have_text("100 %", timeout=60_000)
    expect(page.locator(".bulk-status")).to_have_text("Done")
    expect(page.locator("main")).to_contain_text("500 recordings deleted")
    expect(page.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "100")
    screenshot(page, "bulk-progress")

    assert (
        Recording.objects.filter(room__unique_name="archive-2025")
        .exclude(status=RecordingStatus.DELETED)
        .count()
        == 0
    )
    # Nothing outside the filter was touched.
    untouched = Recording.objects.filter(room=demo.finished, status=RecordingStatus.COMPLETED)
    assert untouched.count() == 4


# -- Rooms: rules editor -----------------------------------------------------------------------


@needs("rooms:detail", "Room details", "RM" + "0" * 32)
def test_rules_editor_names_the_wrong_rule_then_a_quick_action_applies(signed_in, demo, screenshot):
    page = signed_in
    page.goto(f"{demo.url}/rooms/")
    page.get_by_role("link", name="live-workshop").first.click()
    expect(page.get_by_role("heading", name="Room live-workshop")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Recording now")

    editor = page.get_by_label("Rules (a JSON array of up to 20 rules)")
    bad = '[{"type": "include", "all": true}, {"type": "include", "kind": "screen"}]'
    editor.fill(bad)
    page.get_by_role("button", name="Save rules").click()
    error = page.locator("#rules-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("The rules were not changed.")
    expect(error).to_contain_text("Rule 2")
    expect(error).not_to_contain_text("Traceback")
    expect(editor).to_have_value(bad)  # what the person typed is kept to correct
    expect(editor).to_have_attribute("aria-invalid", "true")

    editor.fill("[not json")
    page.get_by_role("button", name="Save rules").click()
    expect(page.locator("#rules-error")).to_be_visible()

    page.get_by_role("button", name="Record audio only").click()
    expect(page.get_by_role("status")).to_contain_text("Recording rules updated")
    expect(page.locator("#rules-error")).to_have_count(0)
    expect(page.get_by_label("Current recording rules")).to_contain_text('"kind": "audio"')
    # carol's camera stopped being recorded; her microphone still is.
    tracks = (
        page.locator("main table")
        .filter(has=page.get_by_role("columnheader", name="Recorded now"))
        .locator("tbody tr")
    )
    expect(tracks.filter(has_text="carol-audio")).to_contain_text("Recording")
    expect(tracks.filter(has_text="carol-cam")).not_to_contain_text("Recording")
    screenshot(page, "room-rules")


# -- Roles -------------------------------------------------------------------------------------


@needs("recordings:delete", "Recording deletion", "RT" + "0" * 32)
def test_a_viewer_sees_no_delete_button_and_is_refused_when_posting(page, demo):
    console_services.member_set(
        account=demo.account, email="viewer@example.com", password=PASSWORD, role=Role.VIEWER
    )
    sign_in(page, demo.url, "viewer@example.com", PASSWORD)
    page.wait_for_url(f"{demo.url}/")
    recording = demo.recording("audio")

    page.goto(f"{demo.url}/recordings/")
    expect(table_rows(page)).to_have_count(6)
    expect(page.get_by_role("checkbox")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("Delete|Select all"))).to_have_count(0)

    page.get_by_role("link", name=recording.sid).click()
    expect(page.get_by_role("heading", name=f"Recording {recording.sid}")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Delete"))).to_have_count(0)
    expect(page.locator("main audio")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("not play or download")

    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    delete_url = f"{demo.url}/recordings/{recording.sid}/delete/"
    response = page.request.post(
        delete_url, form={"csrfmiddlewaretoken": csrf, "confirm": "True"}, max_redirects=0
    )
    assert response.status == 403
    assert page.request.get(delete_url).status == 403
    assert page.request.get(f"{demo.url}/recordings/{recording.sid}/media").status == 403
    page.reload()
    expect(page.locator("#recording-status")).to_have_text("Completed")
    assert Recording.objects.get(pk=recording.pk).status == RecordingStatus.COMPLETED


# -- Team pages --------------------------------------------------------------------------------


@needs("team:keys", "API keys")
def test_members_api_key_secret_shown_once_and_the_audit_log(signed_in, demo, screenshot):
    page = signed_in
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Members").click()
    expect(page.get_by_role("heading", name="Members of Acme Video")).to_be_visible()
    expect(page.locator("main table")).to_contain_text("owner@example.com")
    screenshot(page, "members")

    nav.get_by_role("link", name="API keys").click()
    page.get_by_role("link", name="Create an API key").click()
    page.get_by_label("Friendly name").fill("media server eu-1")
    page.get_by_role("button", name="Create key").click()
    expect(page.get_by_role("heading", name="API key created")).to_be_visible()
    secret = page.get_by_label("Secret").input_value()
    assert len(secret) >= 32
    screenshot(page, "api-keys")

    page.get_by_role("link", name=re.compile("back to API keys")).click()
    row = table_rows(page).filter(has_text="media server eu-1")
    expect(row).to_contain_text("active")
    assert secret not in page.content()

    page.goto(f"{demo.url}/team/keys/")
    nav.get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
    first = table_rows(page).first
    expect(first).to_contain_text("owner@example.com")
    expect(first).to_contain_text("media server eu-1")
    expect(first).to_contain_text("127.0.0.1")
    screenshot(page, "audit-log")


@needs("team:invitations", "Invitations")
def test_an_owner_invites_someone_who_chooses_their_own_password(
    signed_in, demo, browser, screenshot
):
    page = signed_in
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Invitations").click()
    page.get_by_role("link", name="Invite a member").click()
    expect(page.get_by_label("Password")).to_have_count(0)
    page.get_by_label("Email").fill("newcomer@example.com")
    page.get_by_label("Role").select_option("member")
    page.get_by_role("button", name="Send invitation").click()
    # No mail server in tests: the link is shown to the inviter, this once.
    expect(page.get_by_role("heading", name="Invitation created")).to_be_visible()
    link = page.get_by_label("Link").input_value()
    screenshot(page, "invitation-created")
    page.get_by_role("link", name=re.compile("back to invitations")).click()
    expect(table_rows(page).filter(has_text="newcomer@example.com")).to_contain_text("Member")
    assert link not in page.content()

    invitee = browser.new_context().new_page()
    invitee.goto(link)
    expect(invitee.get_by_role("heading", name="Join Acme Video")).to_be_visible()
    invitee.get_by_label(re.compile(r"^New password:?$")).fill(PASSWORD)
    invitee.get_by_label("New password confirmation").fill(PASSWORD)
    invitee.get_by_role("button", name="Set password and join").click()
    invitee.wait_for_url(f"{demo.url}/")
    expect(invitee.get_by_role("status")).to_contain_text("you are member here")
    invitee.goto(link)
    expect(invitee.locator("main")).to_contain_text("already been used")
    invitee.context.close()
