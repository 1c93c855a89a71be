"""GET /roomvault/v1/AuditEvents.csv and .jsonl: the audit evidence export for API callers, with
the auth token or a Main key only, in Twilio's errors when refused."""

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from console import services as console_services
from console.services import Actor
from recordings.video import services
from tests.helpers import assert_twilio_error, client_for

CSV = "/roomvault/v1/AuditEvents.csv"
JSONL = "/roomvault/v1/AuditEvents.jsonl"
RANGE = {"From": "2026-03-01", "To": "2026-03-31"}
T0 = datetime(2026, 3, 10, 12, tzinfo=UTC)
BULK_SIDS = ["RT" + "1" * 32, "RT" + "2" * 32]


@pytest.fixture
def deleted(account, other_account, make_completed_recording):
    """A recording deleted through its service, a bulk deletion's chunk, and another account's
    deletion, all in March."""
    with time_machine.travel(T0, tick=False):
        recording = make_completed_recording()
        services.recording_delete(recording=recording, actor=Actor("api:" + account.sid))
        console_services.audit_record(
            account=account,
            actor=Actor("system"),
            action="recordings.bulk_delete_chunk",
            detail=" ".join(BULK_SIDS),
        )
        console_services.audit_record(
            account=other_account,
            actor=Actor("system"),
            action="recording.delete",
            object_sid="RT" + "f" * 32,
        )
    return recording


def key_client(account, scope: str):
    key = console_services.api_key_create(account=account, friendly_name=scope, scope=scope)
    return client_for(key.key.sid, key.secret)


def streamed(response) -> str:
    assert response.status_code == 200, response.content
    return b"".join(response.streaming_content).decode()


@pytest.mark.parametrize("scope", ["standard", "read", "ingest"])
@pytest.mark.parametrize("path", [CSV, JSONL])
def test_only_main_scope_may_export(account, deleted, scope, path):
    body = assert_twilio_error(key_client(account, scope).get(path, RANGE), 403, 20403)

    assert "main" in body["message"]


def test_a_main_key_exports(account, deleted):
    assert "recording.delete" in streamed(key_client(account, "main").get(CSV, RANGE))


def test_no_credentials_is_a_twilio_401(client, deleted):
    assert_twilio_error(client.get(CSV, RANGE), 401, 20003)


def test_another_accounts_events_never_appear(api, stranger, other_account, deleted):
    assert "RT" + "f" * 32 not in streamed(api.get(CSV, RANGE))
    theirs = client_for(other_account.sid, other_account.auth_token)
    assert "RT" + "f" * 32 in streamed(theirs.get(CSV, RANGE))


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ({}, "From"),
        ({"From": "2026-03-01"}, "To"),
        ({"From": "01/03/2026", "To": "2026-03-31"}, "From"),
        ({"From": "2026-02-30", "To": "2026-03-31"}, "From"),
        ({"From": "2026-03-31", "To": "2026-03-01"}, "To"),
        ({"From": "2025-01-01", "To": "2026-03-31"}, "To"),
        ({**RANGE, "Family": "members"}, "Family"),
    ],
)
@pytest.mark.parametrize("path", [CSV, JSONL])
def test_a_bad_or_missing_range_is_a_twilio_20001(api, deleted, path, query, named):
    body = assert_twilio_error(api.get(path, query, HTTP_ACCEPT="text/csv"), 400, 20001)

    assert body["message"].startswith(f"Invalid {named}")


def test_csv_matches_the_events_with_the_bulk_deletions_sids(api, account, deleted):
    response = api.get(CSV, RANGE)

    assert response["Content-Disposition"] == (
        f'attachment; filename="audit-{account.sid}-all-2026-03-01-2026-03-31.csv"'
    )
    rows = list(csv.DictReader(io.StringIO(streamed(response))))
    assert [(r["action"], r["object_sid"], r["sids"].split()) for r in rows] == [
        ("recording.delete", deleted.sid, []),
        ("recordings.bulk_delete_chunk", "", BULK_SIDS),
    ]
    assert rows[0]["actor"] == f"api:{account.sid}"
    assert rows[0]["date_created"] == "2026-03-10T12:00:00Z"


def test_json_lines_parse_and_a_family_narrows_them(api, deleted):
    everything = [json.loads(line) for line in streamed(api.get(JSONL, RANGE)).splitlines()]
    holds = streamed(api.get(JSONL, {**RANGE, "Family": "holds"}))

    assert [row["sids"] for row in everything] == [[], BULK_SIDS]
    assert holds == ""


def test_the_same_range_gives_the_same_rows_as_the_console(api, console_client, deleted):
    console = console_client("admin").get(
        "/team/audit/export/",
        {
            "export-date_after": "2026-03-01",
            "export-date_before": "2026-03-31",
            "export-format": "csv",
        },
    )

    assert streamed(console) == streamed(api.get(CSV, RANGE))


def test_the_schema_documents_both_formats(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()

    for path, content_type in ((CSV, "text/csv"), (JSONL, "application/jsonl")):
        operation = schema["paths"][path]["get"]
        assert {p["name"] for p in operation["parameters"]} == {"From", "To", "Family"}
        assert content_type in operation["responses"]["200"]["content"]
        assert {"400", "401", "403"} <= set(operation["responses"])


def test_a_day_outside_the_range_is_left_out(api, deleted):
    later = {"From": (T0 + timedelta(days=1)).date().isoformat(), "To": "2026-03-31"}

    assert streamed(api.get(CSV, later)).count("\n") == 1  # the header only
