"""Legal holds in real headless Chromium: an owner places a hold on a room from the form, finds it
on one of the room's recordings with the Delete button disabled, and releases it."""

import pytest

from recordings.lifecycle.models import LegalHold
from tests.browser.test_accessibility import SEVERE

pytestmark = pytest.mark.browser
expect = pytest.importorskip(
    "playwright.sync_api", reason="browser tests need the playwright package: pip install '.[dev]'"
).expect
Axe = pytest.importorskip(
    "axe_playwright_python.sync_playwright",
    reason="accessibility tests need axe-playwright-python: pip install '.[dev]'",
).Axe


def _no_severe_violations(page) -> None:
    violations = Axe().run(page).response["violations"]
    assert [v["id"] for v in violations if v["impact"] in SEVERE] == []


def test_an_owner_places_a_hold_sees_it_on_a_recording_and_releases_it(signed_in, demo, screenshot):
    page = signed_in
    recording = demo.recording("video")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Legal holds").click()
    page.get_by_role("link", name="Place a legal hold…").click()
    page.get_by_label("Name").fill("Acme v. Example")
    page.get_by_label("A room (its SID)").check()
    page.get_by_label("Room SID, participant identity or call SID").fill(demo.finished.sid)
    page.get_by_label("Reason").fill("Litigation hold, counsel's letter of 1 March")
    _no_severe_violations(page)
    page.get_by_role("button", name="Place the hold").click()

    hold = LegalHold.objects.get(account=demo.account)
    expect(page.locator(".message").first).to_contain_text(f"Legal hold {hold.sid} placed")
    expect(page.locator("#hold-counts")).to_contain_text("4")
    page.get_by_role("link", name="Legal holds", exact=True).first.click()
    expect(page.locator(f"#hold-{hold.sid}")).to_contain_text("Active")
    screenshot(page, "legal-holds")
    _no_severe_violations(page)

    page.goto(f"{demo.url}/recordings/{recording.sid}/")
    expect(page.locator("#held-notice")).to_contain_text(f"Under legal hold {hold.sid}")
    expect(page.locator("#delete-held")).to_be_disabled()
    expect(page.get_by_role("link", name="Delete this recording…")).to_have_count(0)
    screenshot(page, "legal-hold-recording")
    _no_severe_violations(page)

    page.locator("#held-notice").get_by_role("link", name=hold.sid).click()
    page.get_by_role("link", name="Release this hold…").click()
    page.get_by_role("button", name=f"Release legal hold {hold.sid}").click()
    expect(page.locator(".message").first).to_contain_text("was released")
    expect(page.locator("#hold-status")).to_contain_text("Released")

    page.goto(f"{demo.url}/recordings/{recording.sid}/")
    expect(page.locator("#held-notice")).to_have_count(0)
    expect(page.get_by_role("link", name="Delete this recording…")).to_be_visible()
