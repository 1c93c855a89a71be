"""The console's main pages checked by axe-core in real Chromium: no serious or critical
accessibility violation (contrast, labels, landmarks, names), on a laptop and on a phone."""

import pytest

from tests.browser.test_layout import LAPTOP, PHONE

pytestmark = pytest.mark.browser
Axe = pytest.importorskip(
    "axe_playwright_python.sync_playwright",
    reason="accessibility tests need axe-playwright-python: pip install '.[dev]'",
).Axe

SEVERE = {"serious", "critical"}


def pages_of(demo) -> dict[str, str]:
    return {
        "dashboard": "/",
        "Recordings Logs": "/recordings/",
        "a recording's details": f"/recordings/{demo.recording('video').sid}/",
        "a room's page": f"/rooms/{demo.live.sid}/",
        "members": "/team/members/",
    }


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_the_main_pages_have_no_serious_violation(signed_in, demo, viewport):
    page = signed_in
    page.set_viewport_size(viewport)
    axe = Axe()
    found = {}
    for name, path in pages_of(demo).items():
        page.goto(demo.url + path)
        violations = axe.run(page).response["violations"]
        severe = [
            f"{v['id']} ({v['impact']}): {[node['target'] for node in v['nodes']][:5]}"
            for v in violations
            if v["impact"] in SEVERE
        ]
        if severe:
            found[name] = severe
    assert found == {}
