"""The audit page's evidence export in Chromium: delete a recording as a person would, then
download the day's deletions as CSV; a range too long is refused on the page."""

import csv
import io
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect


def test_an_owner_deletes_a_recording_then_downloads_the_evidence(signed_in, demo, screenshot):
    page = signed_in
    recording = demo.recording("audio")
    page.goto(f"{demo.url}/recordings/{recording.sid}/")
    page.get_by_role("link", name="Delete this recording…").click()
    page.get_by_role("button", name=f"Delete recording {recording.sid}").click()
    page.wait_for_url(f"{demo.url}/recordings/{recording.sid}/")

    page.goto(f"{demo.url}/team/audit/")
    export = page.get_by_role("form", name="Export evidence")
    today = timezone.now().date().isoformat()
    export.get_by_label("From (UTC)").fill(today)
    export.get_by_label("Until (UTC, inclusive)").fill(today)
    export.get_by_label("Family").select_option("deletions")
    screenshot(page, "audit-export")
    with page.expect_download() as download:
        export.get_by_role("button", name="Export CSV").click()

    assert download.value.suggested_filename == (
        f"audit-{demo.account.sid}-deletions-{today}-{today}.csv"
    )
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text())))
    assert [(row["action"], row["object_sid"]) for row in rows] == [
        ("recording.delete", recording.sid)
    ]
    assert rows[0]["actor"] == "user:owner@example.com"


def test_a_range_longer_than_a_year_is_refused_on_the_page(signed_in, demo):
    page = signed_in
    page.goto(f"{demo.url}/team/audit/")
    export = page.get_by_role("form", name="Export evidence")
    today = timezone.now().date()
    export.get_by_label("From (UTC)").fill((today - timedelta(days=400)).isoformat())
    export.get_by_label("Until (UTC, inclusive)").fill(today.isoformat())
    export.get_by_role("button", name="Export JSON lines").click()

    expect(page.get_by_text("at most 366 days")).to_be_visible()
