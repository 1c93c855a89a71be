"""The console under its Content-Security-Policy in real Chromium: the pages that run script or
draw something (filters, bulk selection and progress, the dashboard's chart, the player, a secret
shown once, the API docs) still work, and the browser reports no violation of the policy."""

import re

import pytest

from tests.browser.conftest import OWNER_EMAIL, PASSWORD, sign_in

pytestmark = pytest.mark.browser
expect = pytest.importorskip(
    "playwright.sync_api", reason="browser tests need the playwright package: pip install '.[dev]'"
).expect

# Injected by the browser itself (not by the page), so the policy does not block it.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", e => {
    window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.lineNumber}`);
});
"""
MEDIA_READY = "el => el.readyState >= 1 && isFinite(el.duration) && el.duration > 0"


@pytest.fixture
def watched(page):
    """A page that records every CSP violation its documents report, console and events alike."""
    messages = []
    page.on(
        "console",
        lambda m: messages.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.add_init_script(RECORD_VIOLATIONS)
    page.violations = lambda: messages + page.evaluate("window.__cspViolations || []")
    return page


def test_the_console_works_under_its_csp_without_violations(watched, demo):
    page = watched
    sign_in(page, demo.url, OWNER_EMAIL, PASSWORD)
    page.wait_for_url(f"{demo.url}/")
    expect(page.locator("svg[role=img]").first).to_be_visible()  # the 30-day chart
    assert page.violations() == []

    # Filters (their script resets edited fields on Back), then a bulk selection.
    page.goto(f"{demo.url}/recordings/")
    page.get_by_label("Room (SID or unique name)").fill("weekly-standup")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator("main table tbody tr")).to_have_count(4)
    recording = demo.recording("audio")
    page.get_by_label(f"Select {recording.sid}").check()
    page.get_by_role("button", name=re.compile("Delete selected")).click()
    expect(page.get_by_role("heading", name="Delete recordings")).to_be_visible()
    page.get_by_role("button", name=re.compile(r"Delete 1 recording")).click()
    page.wait_for_url(re.compile(r"/recordings/bulk/\d+/$"))
    expect(page.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "100")
    bar = page.get_by_role("progressbar").bounding_box()
    assert bar and bar["width"] > 100  # drawn by the stylesheet, not by a style attribute
    assert page.violations() == []

    # The player loads and knows the media's duration.
    video = demo.recording("video")
    page.goto(f"{demo.url}/recordings/{video.sid}/")
    page.wait_for_function(f"() => ({MEDIA_READY})(document.querySelector('video.player'))")
    assert page.violations() == []

    # A secret shown once is selected whole on focus (static/js/select-on-focus.js).
    page.goto(f"{demo.url}/team/keys/create/")
    page.get_by_role("button", name=re.compile("Create")).click()
    expect(page.get_by_role("heading", name="API key created")).to_be_visible()
    page.wait_for_load_state()  # the deferred script is in place
    secret = page.get_by_label("Secret")
    secret.focus()
    selected = secret.evaluate("el => el.value.substring(el.selectionStart, el.selectionEnd)")
    assert selected == secret.input_value()
    assert page.violations() == []

    # Swagger UI renders the API from its own static files.
    page.goto(f"{demo.url}/api/docs/")
    expect(page.locator(".opblock-summary-path").first).to_be_visible()
    assert page.violations() == []
