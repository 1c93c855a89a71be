"""The audit evidence export of the console: deletions, holds and policy runs of a range of days,
as CSV or JSON lines, for admins only, never another account's."""

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from console import services as console_services
from console.audit_export import AUDIT_FAMILIES, ExportRange, ExportRangeError, audit_evidence
from console.roles import Role
from console.services import Actor
from recordings.lifecycle import trash
from recordings.video import services as video_services

T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
ALICE = Actor("user:alice@example.com", None, "198.51.100.7")
BULK_SIDS = ["RT" + "1" * 32, "RT" + "2" * 32, "RT" + "3" * 32]
FORMULA = '=HYPERLINK("http://evil.example","click")'


def record(account, day: int, action: str, **fields):
    with time_machine.travel(T0 + timedelta(days=day), tick=False):
        return console_services.audit_record(account=account, actor=ALICE, action=action, **fields)


@pytest.fixture
def events(account, other_account):
    """Evidence from 1 to 5 March, an event of no family, one outside the range, and a
    deletion of another account on the same day."""
    record(account, -1, "recording.delete", object_sid="RT" + "9" * 32)  # 28 February
    record(account, 0, "recording.delete", object_sid="RT" + "a" * 32, object_repr=FORMULA)
    record(account, 1, "recordings.bulk_delete_chunk", detail=" ".join(BULK_SIDS))
    record(account, 2, "api_key.create", object_sid="SK" + "b" * 32)
    record(account, 3, "legal_hold.place", object_sid="RT" + "c" * 32, object_repr="case 7")
    record(account, 4, "retention_policy.run", object_repr="90 days")
    record(other_account, 1, "recording.delete", object_sid="RT" + "d" * 32)


@pytest.fixture
def admin(console_client):
    return console_client(Role.ADMIN)


def export(client, *, fmt="csv", first="2026-03-01", last="2026-03-05", family=""):
    return client.get(
        reverse("team:audit-export"),
        {
            "export-date_after": first,
            "export-date_before": last,
            "export-family": family,
            "export-format": fmt,
        },
    )


def body(response) -> str:
    return b"".join(response.streaming_content).decode()


def csv_rows(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body(response))))


# --- who may export, and what ----------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.VIEWER, Role.MEMBER])
def test_a_viewer_or_member_cannot_export(console_client, events, role):
    assert export(console_client(role)).status_code == 403


def test_anonymous_is_sent_to_sign_in(client, events):
    response = export(client)

    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_another_accounts_events_never_appear(admin, events, other_account):
    rows = csv_rows(export(admin))

    assert "RT" + "d" * 32 not in {row["object_sid"] for row in rows}
    other = console_services.member_set(
        account=other_account, email="theirs@example.com", password=None, role=Role.ADMIN
    )
    admin.force_login(other.user)
    assert [row["object_sid"] for row in csv_rows(export(admin))] == ["RT" + "d" * 32]


@pytest.mark.parametrize(
    ("first", "last", "error"),
    [
        ("", "", "An export needs a date range"),
        ("2026-03-01", "", "An export needs a date range"),
        ("2026-03-05", "2026-03-01", "this range is empty"),
        ("2025-02-28", "2026-03-01", "at most 366 days"),
    ],
)
def test_the_range_is_required_and_capped_with_a_form_error(admin, events, first, last, error):
    response = export(admin, first=first, last=last)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert error in response.content.decode()


def test_366_days_export_in_one_piece(admin, events):
    assert export(admin, first="2025-03-01", last="2026-03-01").status_code == 200
    with pytest.raises(ExportRangeError):
        ExportRange(date(2025, 3, 1), date(2026, 3, 2))


# --- what the files say ----------------------------------------------------------------------


def test_csv_lists_the_evidence_oldest_first_with_the_bulk_deletions_sids(admin, events, account):
    response = export(admin)

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="audit-{account.sid}-all-2026-03-01-2026-03-05.csv"'
    )
    rows = csv_rows(response)
    assert list(rows[0]) == [
        "date_created",
        "actor",
        "action",
        "object_sid",
        "object_repr",
        "sids",
        "source_ip",
    ]
    assert [(row["date_created"], row["action"]) for row in rows] == [
        ("2026-03-01T09:30:00Z", "recording.delete"),
        ("2026-03-02T09:30:00Z", "recordings.bulk_delete_chunk"),
        ("2026-03-04T09:30:00Z", "legal_hold.place"),
        ("2026-03-05T09:30:00Z", "retention_policy.run"),
    ]
    assert rows[1]["sids"].split() == BULK_SIDS
    assert {row["actor"] for row in rows} == {"user:alice@example.com"}
    assert {row["source_ip"] for row in rows} == {"198.51.100.7"}


def test_a_formula_looking_repr_is_neutralised_in_csv(admin, events):
    rows = csv_rows(export(admin, family="deletions"))

    assert rows[0]["object_repr"] == "'" + FORMULA


def test_json_lines_parse_with_the_sids_as_a_list(admin, events, account):
    response = export(admin, fmt="jsonl")

    assert response["Content-Type"] == "application/jsonl; charset=utf-8"
    assert response["Content-Disposition"].endswith('-all-2026-03-01-2026-03-05.jsonl"')
    lines = body(response).splitlines()
    rows = [json.loads(line) for line in lines]
    assert [row["action"] for row in rows] == [
        "recording.delete",
        "recordings.bulk_delete_chunk",
        "legal_hold.place",
        "retention_policy.run",
    ]
    assert rows[0] == {
        "date_created": "2026-03-01T09:30:00Z",
        "actor": "user:alice@example.com",
        "action": "recording.delete",
        "object_sid": "RT" + "a" * 32,
        "object_repr": FORMULA,  # JSON is data, not a spreadsheet: kept as written
        "sids": [],
        "source_ip": "198.51.100.7",
    }
    assert rows[1]["sids"] == BULK_SIDS


@pytest.mark.parametrize(
    ("family", "actions"),
    [
        ("deletions", ["recording.delete", "recordings.bulk_delete_chunk"]),
        ("holds", ["legal_hold.place"]),
        ("policies", ["retention_policy.run"]),
    ],
)
def test_a_family_narrows_the_export(admin, events, family, actions):
    response = export(admin, family=family)

    assert [row["action"] for row in csv_rows(response)] == actions
    assert f"-{family}-2026-03-01" in response["Content-Disposition"]


def test_every_family_is_offered(admin, events):
    page = admin.get(reverse("team:audit")).content.decode()

    for family in AUDIT_FAMILIES:
        assert f'<option value="{family}">' in page


def test_the_export_offers_the_pages_range(admin, events):
    page = admin.get(
        reverse("team:audit"), {"date_after": "2026-03-02", "date_before": "2026-03-04"}
    ).content.decode()

    assert 'name="export-date_after" value="2026-03-02"' in page
    assert 'name="export-date_before" value="2026-03-04"' in page
    assert "Export CSV" in page and "Export JSON lines" in page


def test_the_export_reads_in_chunks_whatever_the_range(admin, events, django_assert_num_queries):
    response = export(admin)
    # Session, user, membership; then the events themselves, in one query however many.
    with django_assert_num_queries(1):
        rows = body(response)
    assert rows.count("\n") == 5


def test_the_actions_services_write_today_for_deletions_are_evidence(account):
    deletions = ("recording.delete", "voice_recording.delete", "composition.delete")
    for day, action in enumerate(
        [*deletions, "recordings.bulk_delete", "recordings.bulk_delete_failed", "recordings.purge"]
    ):
        record(account, day, action)
    days = ExportRange(T0.date(), T0.date() + timedelta(days=10))

    assert audit_evidence(account=account, days=days, family="deletions").count() == 6


def test_the_trash_family_holds_the_settings_restores_and_expiries(
    admin, account, make_completed_recording, django_capture_on_commit_callbacks
):
    recording = make_completed_recording()
    with time_machine.travel(T0, tick=False):
        trash.account_trash_set(account=account, actor=ALICE, enabled=True)
        account.refresh_from_db()
        with django_capture_on_commit_callbacks(execute=True):
            video_services.recording_delete(recording=recording, actor=ALICE)
        trash.trash_restore(account=account, actor=ALICE, sid=recording.sid)
    record(account, 1, "voice_recording.restore", object_sid="RE" + "e" * 32)
    record(account, 2, "composition.restore", object_sid="CJ" + "f" * 32)
    record(account, 3, "trash.expire", object_repr="2 recordings left the trash")

    rows = csv_rows(export(admin, family="trash"))

    assert [row["action"] for row in rows] == [
        "trash.enable",
        "recording.restore",
        "voice_recording.restore",
        "composition.restore",
        "trash.expire",
    ]
    assert rows[1]["object_sid"] == recording.sid
