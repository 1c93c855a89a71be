"""The console's layout in real Chromium, on a 1280 by 800 laptop and a 390 by 844 phone: no page
scrolls sideways, the Logs tables show their status, the sidebar marks where the user is, error
pages keep the navigation and say why, and the list and rules-editor controls work.

The account holds more than a page of everything, with the long names real teams use (room
names, e-mail identities, track names), on top of the demo's simulated rooms.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from console import services as console_services
from console.roles import Role
from recordings.compositions.choices import CompositionStatus
from recordings.video.choices import RecordingStatus, RoomStatus
from recordings.voice.choices import VoiceRecordingStatus
from tests.browser.conftest import PASSWORD, sign_in
from tests.factories import (
    AuditEventFactory,
    CompositionFactory,
    RecordingFactory,
    RoomFactory,
    VoiceRecordingFactory,
)

pytestmark = pytest.mark.browser
expect = pytest.importorskip(
    "playwright.sync_api", reason="browser tests need the playwright package: pip install '.[dev]'"
).expect

LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
ROWS = 55
ROOM_NAME = "quarterly-business-review-{n:02d}-engineering-product-design-customer-success-emea"
IDENTITY = "alexandra.konstantinopoulou-{n:02d}@customer-success.example-enterprise.com"
TRACK = "screen-share-presentation-with-speaker-notes-and-camera-{n:02d}"
VIEWER_EMAIL = "viewer@example.com"
DASH = "\N{EN DASH}"

OVERFLOW = "() => [document.documentElement.scrollWidth, window.innerWidth]"
# Every element whose own box scrolls sideways (a table in its wrapper, a <pre>).
SCROLLING_BOXES = """() => Array.from(document.querySelectorAll("main *"))
    .filter(el => el.scrollWidth > el.clientWidth + 1
        && ["auto", "scroll"].includes(getComputedStyle(el).overflowX))
    .map(el => el.tagName + "." + el.className)"""


@pytest.fixture
def crowded(demo):
    """The demo account with 55 rooms, recordings, voice recordings, compositions and audit
    events, all with long names."""
    account = demo.account
    start = timezone.now() - timedelta(days=2)
    for n in range(ROWS):
        room = RoomFactory(
            account=account,
            unique_name=ROOM_NAME.format(n=n),
            status=RoomStatus.COMPLETED,
            date_created=start + timedelta(minutes=n),
            end_time=start + timedelta(minutes=n, hours=1, seconds=5),
        )
        RecordingFactory(
            track__participant__room=room,
            track__participant__identity=IDENTITY.format(n=n),
            track__name=TRACK.format(n=n),
            track__kind="video",
            status=RecordingStatus.COMPLETED,
            duration=3725 + n,
            size=1_234_567_890 + n,
        )
        VoiceRecordingFactory(
            of_conference=True,
            conference__account=account,
            conference__friendly_name=ROOM_NAME.format(n=n),
            status=VoiceRecordingStatus.COMPLETED,
            duration=4000 + n,
            size=64_000_000,
            channels=2,
        )
        CompositionFactory(
            room=room,
            status=CompositionStatus.COMPLETED,
            duration=3725,
            size=987_654_321,
        )
        AuditEventFactory(
            account=account,
            actor=f"user:{IDENTITY.format(n=n)}",
            action="recording.delete",
            object_repr=f"{TRACK.format(n=n)} of {ROOM_NAME.format(n=n)}",
        )
    return demo


def pages_of(demo) -> dict[str, str]:
    recording = demo.recording("video")
    return {
        "Recordings": "/recordings/",
        "Voice recordings": "/voice/",
        "Compositions": "/compositions/",
        "Rooms": "/rooms/",
        "Audit log": "/team/audit/",
        "a recording's details": f"/recordings/{recording.sid}/",
        "a room's page": f"/rooms/{demo.finished.sid}/",
        "a live room's page": f"/rooms/{demo.live.sid}/",
        "Dashboard": "/",
    }


LOGS = ("Recordings", "Voice recordings", "Compositions", "Rooms", "Audit log")


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_no_page_scrolls_sideways(signed_in, crowded, viewport, screenshot):
    page = signed_in
    page.set_viewport_size(viewport)
    too_wide, scrolling = {}, {}
    for name, path in pages_of(crowded).items():
        page.goto(crowded.url + path)
        width, inner = page.evaluate(OVERFLOW)
        if width > inner:
            too_wide[name] = width
        if viewport is LAPTOP and name in LOGS:
            # On a laptop a Logs table fits its column: not even its own box scrolls.
            scrolling[name] = page.evaluate(SCROLLING_BOXES)
        screenshot(
            page, f"layout-{viewport['width']}-{name.replace(' ', '-').replace(chr(39), '')}"
        )
    assert too_wide == {}, f"wider than {viewport['width']} px"
    assert {name: boxes for name, boxes in scrolling.items() if boxes} == {}


@pytest.mark.parametrize("name", LOGS)
def test_the_status_column_is_on_screen_at_1280(signed_in, crowded, name):
    page = signed_in
    page.goto(crowded.url + pages_of(crowded)[name])
    table = page.locator("main table").first
    expect(table.locator("tbody tr")).to_have_count(50)
    header = table.locator("thead th", has_text=re.compile("^(Status|Action)$")).first
    cell = table.locator("tbody tr").first.locator("td").nth(header_index(header))
    for box in (header.bounding_box(), cell.bounding_box()):
        assert box is not None
        assert box["x"] >= 0 and box["x"] + box["width"] <= LAPTOP["width"]


def header_index(header) -> int:
    return header.evaluate("th => th.cellIndex")


def test_on_a_phone_logs_rows_are_labelled_cards(signed_in, crowded):
    page = signed_in
    page.set_viewport_size(PHONE)
    page.goto(crowded.url + "/recordings/")
    row = page.locator("main table tbody tr").first
    status = row.locator("td[data-label=Status]")
    assert status.evaluate("td => getComputedStyle(td, '::before').content") == '"Status"'
    box = row.bounding_box()
    assert box and box["width"] <= PHONE["width"]
    # The sidebar wraps above the page instead of pushing it wider.
    nav = page.get_by_role("navigation", name="Main").bounding_box()
    assert nav and nav["width"] <= PHONE["width"]


def test_a_long_sid_is_shortened_on_screen_but_whole_in_the_page(signed_in, crowded):
    page = signed_in
    page.goto(crowded.url + "/recordings/")
    link = page.locator("main table tbody tr").first.get_by_role("link").first
    sid = re.search(r"/recordings/(RT[0-9a-f]{32})/", link.get_attribute("href")).group(1)
    assert link.text_content() == sid  # what a copy takes
    expect(page.get_by_role("link", name=sid, exact=True)).to_have_count(1)  # what is read aloud
    assert link.locator("code").get_attribute("title") == sid
    box = link.bounding_box()
    assert box and box["width"] < 140  # the whole SID would take about 300 px
    link.evaluate(
        "a => { const r = document.createRange(); r.selectNodeContents(a);"
        " const s = getSelection(); s.removeAllRanges(); s.addRange(r); }"
    )
    assert page.evaluate("() => getSelection().toString()") == sid


def test_the_sidebar_marks_the_current_page_and_every_link_answers(signed_in, crowded):
    page = signed_in
    nav = page.get_by_role("navigation", name="Main")
    current = nav.locator("[aria-current=page]")
    expect(current).to_have_text("Dashboard")

    page.goto(crowded.url + pages_of(crowded)["a recording's details"])
    expect(current).to_have_count(1)
    expect(current).to_have_text("Recordings")
    page.goto(crowded.url + "/compositions/hooks/")
    expect(current).to_have_text("Composition hooks")

    links = nav.get_by_role("link")
    names = links.all_text_contents()
    assert "Bulk deletions" in names and "Members" in names
    for href in [link.get_attribute("href") for link in links.all()]:
        response = page.request.get(crowded.url + href)
        assert response.status == 200, href


def test_the_favicon_answers_with_an_image(page, demo):
    response = page.request.get(demo.url + "/favicon.ico")
    assert response.status == 200
    assert response.headers["content-type"].startswith("image/")


@pytest.fixture
def viewer_page(page, demo):
    console_services.member_set(
        account=demo.account, email=VIEWER_EMAIL, password=PASSWORD, role=Role.VIEWER
    )
    sign_in(page, demo.url, VIEWER_EMAIL, PASSWORD)
    page.wait_for_url(f"{demo.url}/")
    return page


def test_a_refused_page_keeps_the_navigation_and_names_the_role_it_needs(viewer_page, demo):
    page = viewer_page
    response = page.goto(f"{demo.url}/recordings/bulk/")
    # Bulk deletions are listed to roles that may delete only; the page itself shows to all.
    assert response.status == 200
    expect(page.get_by_role("navigation", name="Main").get_by_role("link")).not_to_have_text(
        ["Bulk deletions"]
    )

    response = page.goto(f"{demo.url}/recordings/{demo.recording('audio').sid}/delete/")
    assert response.status == 403
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    expect(page.locator("#error-reason")).to_have_text("Deleting needs the Admin role.")
    page.get_by_role("link", name="Back to the dashboard").click()
    page.wait_for_url(f"{demo.url}/")


def test_an_unknown_page_keeps_the_navigation_and_says_so(signed_in, demo):
    page = signed_in
    response = page.goto(f"{demo.url}/recordings/RT{'0' * 32}/")
    assert response.status == 404
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nothing here")
    expect(page.locator("#error-reason")).to_contain_text(f"/recordings/RT{'0' * 32}/")


def test_the_page_checkbox_ticks_every_row_then_none(signed_in, crowded):
    page = signed_in
    page.goto(crowded.url + "/recordings/")
    rows = page.locator("main table tbody input[type=checkbox]")
    expect(rows).to_have_count(50)
    select_page = page.get_by_label("Select every recording on this page")

    select_page.check()
    assert rows.evaluate_all("boxes => boxes.every(b => b.checked)")
    rows.first.uncheck()
    assert select_page.evaluate("box => box.indeterminate && !box.checked")
    select_page.check()
    select_page.uncheck()
    assert rows.evaluate_all("boxes => boxes.every(b => !b.checked)")

    select_page.check()
    page.get_by_role("button", name=re.compile("Delete selected")).click()
    expect(page.get_by_text(re.compile(r"\b50 recordings\b")).first).to_be_visible()


def test_the_position_follows_the_pages(signed_in, crowded):
    page = signed_in
    page.goto(crowded.url + "/recordings/")
    position = page.locator("main .page-position")
    total = ROWS + len(crowded.recordings) + len(crowded.live_recordings)
    expect(position).to_have_text(f"1{DASH}50 of {total}")
    page.get_by_role("link", name=re.compile("Older")).click()
    expect(position).to_have_text(f"51{DASH}{total} of {total}")
    page.get_by_role("link", name=re.compile("Newer")).click()
    expect(position).to_have_text(f"1{DASH}50 of {total}")

    # A forged position is display-only: clamped, never an error.
    next_url = page.get_by_role("link", name=re.compile("Older")).get_attribute("href")
    for forged in ("-7", "999999", "x"):
        response = page.goto(crowded.url + re.sub(r"pos=\d+", f"pos={forged}", next_url))
        assert response.status == 200
        expect(position).to_have_text(f"51{DASH}{total} of {total}")


def test_an_invalid_rules_save_keeps_the_editor_in_view_with_focus_on_the_error(signed_in, demo):
    page = signed_in
    page.goto(f"{demo.url}/rooms/{demo.live.sid}/")
    editor = page.get_by_label("Rules (a JSON array of up to 20 rules)")
    editor.fill('[{"type": "include", "kind": "data"}]')
    page.get_by_role("button", name="Save rules").click()

    error = page.locator("#rules-error")
    expect(error).to_be_focused()
    expect(editor).to_have_attribute("aria-invalid", "true")
    expect(error).to_contain_text("The rules were not changed.")
    assert "rules-error" in editor.get_attribute("aria-describedby").split()
    for element in (editor, error):
        box = element.bounding_box()
        assert box and box["y"] >= 0 and box["y"] + box["height"] <= LAPTOP["height"]
    # Right by the field: nothing between the error and the textarea but the help.
    gap = editor.bounding_box()["y"] - (error.bounding_box()["y"] + error.bounding_box()["height"])
    assert 0 <= gap < 120
