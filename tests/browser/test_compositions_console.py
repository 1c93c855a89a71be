"""Composing a room in real headless Chromium: a person composes an ended room from its page,
follows the composition to its details and plays it to the end in the browser's own player.

Celery is eager (tests/browser/conftest.py), so the composition is made inside the request that
asks for it, by the same worker run as in production.
"""

import re

import pytest

from recordings.compositions.models import Composition

pytestmark = pytest.mark.browser
expect = pytest.importorskip(
    "playwright.sync_api", reason="browser tests need the playwright package: pip install '.[dev]'"
).expect

PLAY_TO_END = """el => new Promise((resolve, reject) => {
    el.addEventListener("ended", () => resolve(), {once: true});
    el.addEventListener("error", () => reject(el.error && el.error.message), {once: true});
    el.muted = true;
    el.play().catch(reject);
})"""


def test_a_room_is_composed_in_a_grid_and_played_to_its_end(signed_in, demo, screenshot):
    page = signed_in
    page.get_by_role("link", name="Rooms", exact=True).click()
    page.get_by_role("link", name="weekly-standup").click()
    expect(page.get_by_role("heading", name="Compose this room")).to_be_visible()

    page.get_by_label("Layout").select_option("grid")
    page.get_by_label("Resolution").select_option("320x240")
    page.get_by_label("Format").select_option("mp4")
    page.get_by_role("button", name="Compose", exact=True).click()

    composition = Composition.objects.get(room=demo.finished)
    expect(page.get_by_role("status")).to_contain_text(f"Composition {composition.sid} was queued.")
    row = page.locator("#compositions tr", has_text=composition.sid)
    expect(row).to_contain_text("Completed")
    screenshot(page, "room-compositions")

    row.get_by_role("link", name=composition.sid).click()
    expect(page).to_have_url(re.compile(rf"/compositions/{composition.sid}/$"))
    expect(page.locator("#composition-status")).to_have_text("Completed")
    player = page.locator("main video")
    player.evaluate(PLAY_TO_END)
    assert player.evaluate("el => el.ended") is True
    assert player.evaluate("el => el.error") is None
    assert player.evaluate("el => [el.videoWidth, el.videoHeight]") == [320, 240]
    duration = player.evaluate("el => el.duration")
    assert duration == pytest.approx(3.0, abs=0.3)
    assert player.evaluate("el => el.currentTime") == pytest.approx(duration, abs=0.05)
    screenshot(page, "composition-detail")
