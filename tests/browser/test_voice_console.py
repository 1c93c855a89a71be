"""The Voice recordings console in real headless Chromium: find a call's recording, play it in the
browser's own player over a signed URL, and delete it through its confirmation page.

Calls are real: the call simulator records two people speaking and uploads the audio, which the
voice services cut and store as an 8 kHz WAV.
"""

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from recordings.devtools.voice_simulator import simulate_call
from recordings.media.store import get_media_store
from recordings.voice.choices import VoiceRecordingStatus
from recordings.voice.models import VoiceRecording

pytestmark = pytest.mark.browser
expect = pytest.importorskip(
    "playwright.sync_api", reason="browser tests need the playwright package: pip install '.[dev]'"
).expect

MEDIA_READY = "el => el.readyState >= 1 && isFinite(el.duration) && el.duration > 0"
# Muted playback needs no user gesture under any autoplay policy.
PLAY = """async el => {
    el.muted = true;
    await el.play();
    return !el.paused;
}"""
PLAYED = "el => el.currentTime > 0.5"


@pytest.fixture
def calls(demo):
    """Two recorded calls of the demo account: 4 s in one channel, 3 s in two."""
    return simulate_call(account=demo.account, seconds=4), simulate_call(
        account=demo.account, seconds=3, dual=True, seed=1
    )


def table_rows(page):
    return page.locator("main table tbody tr")


def test_find_play_and_delete_a_call_recording(signed_in, demo, calls, screenshot):
    (call, recording), (_, other) = calls
    page = signed_in
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Voice recordings", exact=True).click()
    expect(page.get_by_role("heading", name="Voice recordings", exact=True)).to_be_visible()
    expect(table_rows(page)).to_have_count(2)

    filters = page.get_by_role("search", name="Filter voice recordings")
    filters.get_by_label("Call SID").fill(call.sid)
    filters.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"call=CA"))
    assert parse_qs(urlsplit(page.url).query)["call"] == [call.sid]
    expect(table_rows(page)).to_have_count(1)
    expect(table_rows(page)).to_contain_text(call.sid)
    expect(table_rows(page)).to_contain_text("0:04")
    expect(page.locator("main")).not_to_contain_text(other.sid)
    screenshot(page, "voice-recordings")

    page.get_by_role("link", name=recording.sid).click()
    expect(page.get_by_role("heading", name=f"Voice recording {recording.sid}")).to_be_visible()
    expect(page.locator("#recording-status")).to_have_text("Completed")

    player = page.locator("main audio")
    expect(player).to_have_attribute("controls", "")
    page.wait_for_function(MEDIA_READY, arg=player.element_handle())
    assert player.evaluate("el => el.readyState") >= 1
    assert abs(player.evaluate("el => el.duration") - recording.duration) < 0.5
    assert player.evaluate(PLAY) is True
    page.wait_for_function(PLAYED, arg=player.element_handle())
    assert player.evaluate("el => el.error") is None
    expect(page.get_by_role("link", name=re.compile(r"^Download (WAV|MP3)$"))).to_have_count(2)
    screenshot(page, "voice-recording-details")

    page.get_by_role("link", name="Delete this recording…").click()
    heading = f"Delete voice recording {recording.sid}?"
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    assert VoiceRecording.objects.get(pk=recording.pk).status == VoiceRecordingStatus.COMPLETED

    page.get_by_role("button", name=f"Delete recording {recording.sid}").click()
    page.wait_for_url(f"{demo.url}/voice/{recording.sid}/")
    expect(page.get_by_role("status")).to_contain_text(f"Recording {recording.sid} was deleted.")
    expect(page.locator("#recording-status")).to_have_text("Deleted")
    expect(page.locator("#no-player")).to_contain_text("was deleted")
    expect(page.locator("#purge-date")).to_be_visible()
    expect(page.locator("main audio")).to_have_count(0)
    expect(page.get_by_role("link", name="Delete this recording…")).to_have_count(0)
    assert not get_media_store().exists(recording.media_key)

    # Gone from the default list, back with "Any, deleted too" and its purge date.
    page.goto(f"{demo.url}/voice/")
    expect(table_rows(page)).to_have_count(1)
    page.get_by_label("Status").select_option("all")
    page.get_by_role("button", name="Apply filters").click()
    deleted_row = table_rows(page).filter(has_text=recording.sid)
    expect(deleted_row).to_contain_text("Deleted")
    expect(deleted_row).to_contain_text("purged on")
