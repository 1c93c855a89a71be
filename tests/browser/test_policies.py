"""Retention policies in real headless Chromium: an admin filters the Recordings Logs, makes a
policy of the filter, previews it (count and sample), saves it, runs it now and sees the run."""

import pytest

from console import services as console_services
from console.roles import Role
from recordings.video.models import Recording
from tests.browser.conftest import PASSWORD, sign_in
from tests.browser.test_accessibility import SEVERE
from tests.factories import RecordingFactory, RoomFactory, TrackFactory

pytestmark = pytest.mark.browser
expect = pytest.importorskip(
    "playwright.sync_api", reason="browser tests need the playwright package: pip install '.[dev]'"
).expect
Axe = pytest.importorskip(
    "axe_playwright_python.sync_playwright",
    reason="accessibility tests need axe-playwright-python: pip install '.[dev]'",
).Axe

ADMIN_EMAIL = "admin@example.com"


def test_an_admin_previews_saves_and_runs_a_policy(page, demo, screenshot):
    console_services.member_set(
        account=demo.account, email=ADMIN_EMAIL, password=PASSWORD, role=Role.ADMIN
    )
    # Months-old stand-up audio (the factory dates recordings in January 2026).
    room = RoomFactory(account=demo.account, unique_name="standup-daily", status="completed")
    track = TrackFactory(participant__room=room, kind="audio")
    old = RecordingFactory.create_batch(3, track=track, status="completed")
    sign_in(page, demo.url, ADMIN_EMAIL, PASSWORD)
    page.wait_for_url(f"{demo.url}/")

    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Recordings", exact=True
    ).click()
    page.get_by_label("Room (SID or unique name)").fill("standup")
    page.get_by_label("Type").select_option("audio")
    page.get_by_role("button", name="Apply filters").click()
    page.get_by_role("link", name="Make a retention policy of this filter").click()
    page.get_by_label("Name").fill("Stand-up audio")
    page.get_by_label("Age in days").fill("90")
    expect(page.get_by_role("button", name="Save policy")).to_have_count(0)
    page.get_by_role("button", name="Preview").click()

    expect(page.locator("#preview-count")).to_have_text("3")
    preview = page.locator("#policy-preview")
    for recording in old:
        expect(preview).to_contain_text(recording.sid)
    expect(preview).not_to_contain_text(demo.recording("audio").sid)
    screenshot(page, "retention-policy")
    violations = Axe().run(page).response["violations"]
    assert [v["id"] for v in violations if v["impact"] in SEVERE] == []

    page.get_by_role("button", name="Save policy").click()
    expect(page.locator("#policy-in-words")).to_contain_text("“standup”")
    page.get_by_role("link", name="Run now…").click()
    page.get_by_role("button", name="Delete 3 recordings now").click()
    expect(page.locator(".bulk-status")).to_have_text("Done")

    assert set(Recording.objects.filter(status="deleted").values_list("sid", flat=True)) == {
        r.sid for r in old
    }
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Retention policies"
    ).click()
    page.get_by_role("link", name="Stand-up audio").click()
    runs = page.get_by_role("table", name="The policy's runs, newest first")
    expect(runs).to_contain_text("Done")
    violations = Axe().run(page).response["violations"]
    assert [v["id"] for v in violations if v["impact"] in SEVERE] == []
