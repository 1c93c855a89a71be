"""The webhook log in real headless Chromium: an owner finds a failed status callback by its HTTP
status, reads what its attempt sent and got back, replays it, and sees the replay delivered."""

import pytest
from django.core.cache import cache

from recordings.lifecycle import delivery
from recordings.lifecycle.models import CallbackDelivery
from tests.browser.test_accessibility import SEVERE
from tests.lifecycle.test_callbacks import CallbackServer

pytestmark = pytest.mark.browser
expect = pytest.importorskip(
    "playwright.sync_api", reason="browser tests need the playwright package: pip install '.[dev]'"
).expect
Axe = pytest.importorskip(
    "axe_playwright_python.sync_playwright",
    reason="accessibility tests need axe-playwright-python: pip install '.[dev]'",
).Axe


@pytest.fixture
def receiver():
    server = CallbackServer()
    yield server
    server.close()


def test_a_failed_callback_is_found_read_and_replayed(
    signed_in, demo, receiver, settings, screenshot
):
    settings.CALLBACK_MAX_ATTEMPTS = 1
    receiver.fail_first = 1
    params = {"AccountSid": demo.account.sid, "RoomSid": demo.finished.sid, "RoomName": "x"}
    # Live-server tests commit as they go: each callback is attempted as it is recorded.
    failed = delivery.callback_send(
        account_id=demo.account.sid,
        event="room-ended",
        url=receiver.url,
        method="POST",
        params={**params, "StatusCallbackEvent": "room-ended"},
        room_id=demo.finished.sid,
    )
    assert receiver.wait_for(1)
    page = signed_in

    # The dashboard the owner signed in to cached its figures before the callback was sent.
    cache.clear()
    page.reload()
    expect(page.locator("#callback-health")).to_contain_text("100.0 %")
    expect(page.locator("#callback-health")).to_contain_text("(1 of 1)")
    screenshot(page, "dashboard-callback-health")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Webhook log").click()
    page.get_by_label("HTTP status").fill("500")
    page.get_by_role("button", name="Apply filters").click()
    row = page.locator(f"#delivery-{failed.pk}")
    expect(row).to_contain_text("Failed")
    row.get_by_text("1 attempt").click()
    expect(row).to_contain_text("HTTP 500")
    expect(row).to_contain_text("X-Twilio-Signature")
    screenshot(page, "webhook-log")
    violations = Axe().run(page).response["violations"]
    assert [v["id"] for v in violations if v["impact"] in SEVERE] == []

    row.get_by_role("button", name=f"Replay room-ended #{failed.pk}").click()

    expect(page.get_by_role("status").or_(page.locator(".message")).first).to_contain_text(
        "is being sent again"
    )
    assert receiver.wait_for(2)
    replay = CallbackDelivery.objects.get(replay_of_id=failed.pk)
    assert replay.status == CallbackDelivery.Status.DELIVERED
    page.get_by_role("link", name="Clear filters").click()
    expect(page.locator(f"#delivery-{replay.pk}")).to_contain_text(f"replay of #{failed.pk}")
    screenshot(page, "webhook-log-replayed")
