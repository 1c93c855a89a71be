"""A video-room recording of each codec plays in real headless Chromium on its details page, from
its rendition (WebM or MP4), not from the stored Matroska file."""

import pytest

from tests.video.test_playback import CODECS, KIND, SECONDS, record

pytestmark = pytest.mark.browser
expect = pytest.importorskip(
    "playwright.sync_api", reason="browser tests need the playwright package: pip install '.[dev]'"
).expect

# HAVE_CURRENT_DATA: the element has a frame (or samples) to show at its position.
CURRENT_DATA = "el => el.readyState >= 2"
# Muted playback needs no user gesture under any autoplay policy.
PLAY = """async el => {
    el.muted = true;
    await el.play();
    return !el.paused;
}"""
ADVANCED = "el => el.currentTime > 0.5"


@pytest.mark.parametrize("codec", list(CODECS))
def test_the_details_page_plays_the_rendition(signed_in, demo, codec):
    recording = record(demo.account, codec)
    kind, media_type = KIND[codec], CODECS[codec][3]
    page = signed_in

    page.goto(f"{demo.url}/recordings/{recording.sid}/")

    player = page.locator(f"main {kind}.player")
    expect(player.locator("source")).to_have_attribute("type", media_type)
    handle = player.element_handle()
    page.wait_for_function(CURRENT_DATA, arg=handle)
    # The player followed its source to the rendition, not to the stored original.
    assert f"/recordings/{recording.sid}/playback" in player.evaluate("el => el.currentSrc")
    assert abs(player.evaluate("el => el.duration") - SECONDS) < 0.1
    assert player.evaluate(PLAY) is True
    page.wait_for_function(ADVANCED, arg=handle)
    assert player.evaluate("el => el.error") is None
    if kind == "video":
        assert player.evaluate("el => el.videoWidth") > 0
    else:
        assert player.evaluate("el => el.webkitAudioDecodedByteCount") > 0


def test_damaged_media_shows_why_and_the_download_instead_of_a_player(
    signed_in, demo, make_completed_recording
):
    recording = make_completed_recording(
        track__participant__room__account=demo.account, track__kind="video"
    )
    page = signed_in

    page.goto(f"{demo.url}/recordings/{recording.sid}/")

    expect(page.locator("#no-playback")).to_contain_text("damaged")
    expect(page.locator("main video")).to_have_count(0)
    expect(page.get_by_role("link", name=f"Download {recording.sid}.mkv")).to_be_visible()
