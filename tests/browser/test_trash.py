"""The trash in real headless Chromium: an owner turns it on, deletes a recording, finds it in the
trash, restores it, and plays it again from its details page."""

import pytest

from recordings.video.models import Recording
from tests.browser.test_accessibility import SEVERE
from tests.browser.test_playback import ADVANCED, CURRENT_DATA, PLAY

pytestmark = pytest.mark.browser
expect = pytest.importorskip(
    "playwright.sync_api", reason="browser tests need the playwright package: pip install '.[dev]'"
).expect
Axe = pytest.importorskip(
    "axe_playwright_python.sync_playwright",
    reason="accessibility tests need axe-playwright-python: pip install '.[dev]'",
).Axe


def test_a_deleted_recording_is_found_in_the_trash_restored_and_played(signed_in, demo, screenshot):
    recording = demo.recording("video")
    page = signed_in
    nav = page.get_by_role("navigation", name="Main")

    nav.get_by_role("link", name="Trash").click()
    expect(page.locator("#trash-off-empty")).to_be_visible()
    page.get_by_label("Keep deleted recordings in the trash").check()
    page.get_by_role("button", name="Save trash setting").click()
    expect(page.locator("#trash-state")).to_contain_text("on")

    page.goto(f"{demo.url}/recordings/{recording.sid}/")
    page.get_by_role("link", name="Delete this recording…").click()
    page.get_by_role("button", name=f"Delete recording {recording.sid}").click()
    expect(page.locator("#trash-notice")).to_contain_text("In the trash until")
    assert Recording.objects.get(pk=recording.pk).status == "deleted"

    nav.get_by_role("link", name="Trash").click()
    row = page.locator(f"#trashed-{recording.sid}")
    expect(row).to_contain_text(f"{recording.track_name} in {demo.finished.sid}")
    expect(row).to_contain_text("Completed")
    screenshot(page, "trash")
    violations = Axe().run(page).response["violations"]
    assert [v["id"] for v in violations if v["impact"] in SEVERE] == []

    row.get_by_role("button", name=f"Restore {recording.sid}").click()

    expect(page.locator(".message").first).to_contain_text("is restored as completed")
    expect(page.locator(f"#trashed-{recording.sid}")).to_have_count(0)
    page.goto(f"{demo.url}/recordings/{recording.sid}/")
    player = page.locator("main video.player")
    handle = player.element_handle()
    page.wait_for_function(CURRENT_DATA, arg=handle)
    assert player.evaluate(PLAY) is True
    page.wait_for_function(ADVANCED, arg=handle)
    assert player.evaluate("el => el.error") is None
