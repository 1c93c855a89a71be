"""``/roomvault/v1/RetentionPolicies`` (issue 19): the auth token and Main keys write, preview and
read policies; everyone else is refused, another account's policy is not found, bad input is a
Twilio 20001 naming its parameter. The attacker's tests come first."""

from urllib.parse import urlencode

import pytest
from django.utils import timezone

from console import services as console_services
from recordings.lifecycle import bulk, policies
from recordings.lifecycle.models import BulkDeletion, RetentionPolicy
from recordings.video.models import Recording
from tests.helpers import assert_twilio_error, client_for, schema_operations
from tests.lifecycle.test_policies import ADMIN, _policy, _video

pytestmark = pytest.mark.django_db

LIST = "/roomvault/v1/RetentionPolicies"
CREATE = {
    "Name": "Stand-ups",
    "Product": "video",
    "Query": "room=standup&type=audio",
    "AgeDays": 90,
}


def _post(client, path: str, data: dict):
    """POST as Twilio's clients do: form-encoded."""
    return client.post(path, urlencode(data), content_type="application/x-www-form-urlencoded")


def _key(account, scope: str):
    key = console_services.api_key_create(account=account, friendly_name=scope, scope=scope)
    return client_for(key.key.sid, key.secret)


# --- the attacker's tests ------------------------------------------------------------------------


@pytest.mark.parametrize("scope", ["standard", "read", "ingest"])
def test_keys_other_than_main_are_refused_everything(account, scope):
    policy = _policy(account)
    client = _key(account, scope)

    for response in (
        client.get(LIST),
        _post(client, LIST, CREATE),
        _post(client, f"{LIST}/Preview", CREATE),
        client.get(f"{LIST}/{policy.sid}"),
        _post(client, f"{LIST}/{policy.sid}", {"AgeDays": 1}),
        client.delete(f"{LIST}/{policy.sid}"),
        client.get(f"{LIST}/{policy.sid}/Runs"),
    ):
        assert_twilio_error(response, 403, 20403)
    assert list(RetentionPolicy.objects.values_list("age_days", flat=True)) == [90]


def test_another_accounts_policy_answers_as_an_unknown_one(api, other_account):
    theirs = _policy(other_account)
    unknown = "RP" + "0" * 32

    for sid in (theirs.sid, unknown, "RPnot-a-sid"):
        for response in (
            api.get(f"{LIST}/{sid}"),
            _post(api, f"{LIST}/{sid}", {"AgeDays": 1}),
            api.delete(f"{LIST}/{sid}"),
            api.get(f"{LIST}/{sid}/Runs"),
        ):
            body = assert_twilio_error(response, 404, 20404)
            assert f"/RetentionPolicies/{sid}" in body["message"]
    assert RetentionPolicy.objects.get().age_days == 90
    assert api.get(LIST).json()["retention_policies"] == []


def test_the_api_needs_credentials(client, account):
    assert_twilio_error(client.get(LIST), 401, 20003)


@pytest.mark.parametrize(
    ("change", "parameter"),
    [
        ({"Name": ""}, "Name"),
        ({"Product": "fax"}, "Product"),
        ({"AgeDays": 0}, "AgeDays"),
        ({"AgeDays": 36_501}, "AgeDays"),
        ({"AgeDays": "ninety"}, "AgeDays"),
        ({"Enabled": "maybe"}, "Enabled"),
        ({"Query": "type=hologram"}, "Query"),
        ({"Query": "date_from=2026-12-01&date_to=2026-11-01"}, "Query"),
    ],
)
def test_bad_input_names_its_parameter(api, change, parameter):
    # A preview is of what a policy deletes: its name does not matter to it.
    for path in (LIST,) if parameter == "Name" else (LIST, f"{LIST}/Preview"):
        body = assert_twilio_error(_post(api, path, {**CREATE, **change}), 400, 20001)
        assert body["message"].startswith(f"Invalid {parameter}")
    assert not RetentionPolicy.objects.exists()


def test_a_policys_product_cannot_change(api, account):
    policy = _policy(account)

    body = assert_twilio_error(_post(api, f"{LIST}/{policy.sid}", {"Product": "voice"}), 400, 20001)

    assert body["message"].startswith("Invalid Product")
    assert RetentionPolicy.objects.get().product == "video"


# --- writing and reading -------------------------------------------------------------------------


def test_create_fetch_update_delete(api, account):
    created = _post(api, LIST, {**CREATE, "Enabled": "false"})

    assert created.status_code == 201, created.content
    body = created.json()
    sid = body["sid"]
    assert sid.startswith("RP") and body["account_sid"] == account.sid
    assert (body["product"], body["query"], body["age_days"], body["enabled"]) == (
        "video",
        "room=standup&type=audio",
        90,
        False,
    )
    assert body["in_words"].endswith(", 90 days after creation")
    assert account.sid in body["created_by"]
    assert body["url"].endswith(f"{LIST}/{sid}")
    assert body["links"]["runs"] == body["url"] + "/Runs"
    assert api.get(f"{LIST}/{sid}").json() == body

    updated = _post(api, f"{LIST}/{sid}", {"AgeDays": 400, "Enabled": "true"}).json()
    assert (updated["age_days"], updated["enabled"], updated["name"]) == (400, True, "Stand-ups")

    assert api.delete(f"{LIST}/{sid}").status_code == 204
    assert_twilio_error(api.get(f"{LIST}/{sid}"), 404, 20404)


def test_the_list_pages_with_twilio_meta(api, account):
    made = [_policy(account, name=f"P{i}") for i in range(3)]

    first = api.get(LIST, {"PageSize": 2}).json()
    second = api.get(first["meta"]["next_page_url"]).json()

    assert first["meta"]["key"] == "retention_policies"
    assert [p["sid"] for p in first["retention_policies"] + second["retention_policies"]] == [
        p.sid for p in reversed(made)
    ]
    assert second["meta"]["next_page_url"] is None


def test_preview_saves_nothing_and_counts_what_a_run_deletes(
    api, account, django_capture_on_commit_callbacks
):
    recordings = [_video(account) for _ in range(3)]
    _video(account, room="weekly-1")

    preview = _post(api, f"{LIST}/Preview", CREATE)

    assert preview.status_code == 200, preview.content
    body = preview.json()
    assert body["count"] == 3
    assert {row["sid"] for row in body["sample"]} == {r.sid for r in recordings}
    assert set(body["sample"][0]) == {"sid", "date_created"}
    assert body["in_words"].startswith("recordings with")
    assert not RetentionPolicy.objects.exists()

    policy = RetentionPolicy.objects.get(sid=_post(api, LIST, CREATE).json()["sid"])
    with django_capture_on_commit_callbacks(execute=True):
        policies.policy_run(policy=policy, now=timezone.now())
    assert BulkDeletion.objects.get().done == body["count"]
    assert Recording.objects.filter(status="deleted").count() == 3


def test_runs_list_each_bulk_deletion_of_the_policy(
    api, account, django_capture_on_commit_callbacks
):
    _video(account)
    policy = _policy(account)
    with django_capture_on_commit_callbacks(execute=True):
        job = policies.policy_run(policy=policy, now=timezone.now())
    # A user's bulk deletion is not a run of the policy.
    bulk.bulk_deletion_queue(
        account=account,
        actor=ADMIN,
        product="video",
        query="",
        selection={},
        sids=None,
        total=1,
        now=timezone.now(),
    )

    body = api.get(f"{LIST}/{policy.sid}/Runs").json()

    (run,) = body["runs"]
    assert run["id"] == job.pk
    assert (run["status"], run["total"], run["done"], run["held"]) == ("done", 1, 1, 0)
    assert run["cutoff"] and run["date_finished"]
    assert body["meta"]["key"] == "runs"


def test_the_openapi_schema_publishes_every_operation(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()

    assert schema_operations(schema, LIST) == {
        (LIST, "get"): "ListRetentionPolicy",
        (LIST, "post"): "CreateRetentionPolicy",
        (f"{LIST}/Preview", "post"): "CreateRetentionPolicyPreview",
        (f"{LIST}/{{sid}}", "get"): "FetchRetentionPolicy",
        (f"{LIST}/{{sid}}", "post"): "UpdateRetentionPolicy",
        (f"{LIST}/{{sid}}", "delete"): "DeleteRetentionPolicy",
        (f"{LIST}/{{sid}}/Runs", "get"): "ListRetentionPolicyRun",
    }
    create = schema["paths"][LIST]["post"]
    assert {"201", "400", "403"} <= create["responses"].keys()
