"""Browser tests of the console in real headless Chromium (Playwright's sync API).

Every test here is marked ``browser``; the whole directory is skipped, with the reason, where
Chromium (Debian's /usr/bin/chromium, or ``chromium`` on PATH) or Playwright is missing.
``.ci/install-browser`` installs Debian's package; never ``playwright install``.

Pages are served by pytest-django's ``live_server`` (a real HTTP server in a thread of this
process, over the transactional test database); Celery is eager (tests/conftest.py), so bulk
deletions and simulated media run inside the requests that start them.

``SCREENSHOTS=1`` saves full-page screenshots of the main pages to docs/screenshots/.
"""

import os
import shutil
from pathlib import Path

import pytest

from console import services as console_services
from console.roles import Role
from recordings.devtools.simulator import simulate_room

# Playwright's sync API runs an event loop in the test thread, and Django refuses ORM calls from
# a thread with a running loop unless told otherwise. The ORM calls here are plain sync ones.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

HERE = Path(__file__).resolve().parent
SCREENSHOT_DIR = HERE.parents[1] / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else shutil.which("chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 800}
TIMEOUT_MS = 15_000
OWNER_EMAIL = "owner@example.com"
PASSWORD = "correct horse battery staple"


def _skip_reason() -> str | None:
    if CHROMIUM is None:
        return (
            "browser tests need Chromium at /usr/bin/chromium or on PATH: run .ci/install-browser "
            "(apt-get install chromium) — not `playwright install`"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "browser tests need the playwright package: pip install '.[dev]'"
    return None


def pytest_collection_modifyitems(config, items):
    """Mark every test of this directory ``browser``; skip them all where Chromium is missing."""
    reason = _skip_reason()
    for item in items:
        if HERE not in Path(str(item.path)).resolve().parents:
            continue
        item.add_marker(pytest.mark.browser)
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def playwright_instance():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance):
    """One headless Chromium for the session (a fresh temporary profile of Playwright's)."""
    browser = playwright_instance.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture
def context(browser, tmp_path):
    """A fresh browser context per test: no cookies, no cache, downloads accepted."""
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    yield context
    context.close()


@pytest.fixture
def page(context):
    page = context.new_page()
    yield page
    page.close()


@pytest.fixture
def screenshot():
    """Return ``shoot(page, name)``: a full-page PNG in docs/screenshots/ when SCREENSHOTS=1."""

    def shoot(page, name: str) -> None:
        if os.environ.get("SCREENSHOTS") != "1":
            return
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT_DIR / f"{name}.png"), full_page=True)

    return shoot


@pytest.fixture
def demo(live_server):
    """An account with an owner who signs in with a password, and real demo data:

    ``finished``: a completed room "weekly-standup" where alice and bob published audio and
    video (four completed recordings of 3 s of real OPUS/VP8 Matroska media), and ``live``: a
    room "live-workshop" in progress where carol is being recorded (two processing recordings).
    """
    account = console_services.account_create(friendly_name="Acme Video")
    console_services.member_set(
        account=account, email=OWNER_EMAIL, password=PASSWORD, role=Role.OWNER
    )
    finished, recordings = simulate_room(
        account=account, identities=["alice", "bob"], seconds=3, unique_name="weekly-standup"
    )
    live, live_recordings = simulate_room(
        account=account, identities=["carol"], keep_open=True, unique_name="live-workshop"
    )
    return _Demo(
        account=account,
        finished=finished,
        recordings=recordings,
        live=live,
        live_recordings=live_recordings,
        url=live_server.url,
    )


class _Demo:
    def __init__(self, **fields):
        self.__dict__.update(fields)

    def recording(self, kind: str):
        """Return a completed recording of the finished room of this kind (audio or video)."""
        return next(r for r in self.recordings if r.type == kind)


def sign_in(page, base_url: str, email: str, password: str) -> None:
    """Sign in through the login form, as a person would."""
    page.goto(f"{base_url}/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


@pytest.fixture
def signed_in(page, demo):
    """A page signed in as the demo account's owner, on the dashboard."""
    sign_in(page, demo.url, OWNER_EMAIL, PASSWORD)
    page.wait_for_url(f"{demo.url}/")
    return page
