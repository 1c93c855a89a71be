"""The Imports pages: the account's import jobs with the form to start one, and a job's progress.

Real HTTP through the Django test client and a real database. Celery runs eagerly, and
``django_capture_on_commit_callbacks(execute=True)`` stands in for the commit of the start
request, so a started job runs inside it: pointed at a port nothing listens on, it fails at once.
"""

import logging
import re
import secrets
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from console.models import AuditEvent
from recordings.devtools.voice_simulator import simulate_call
from recordings.imports import services
from recordings.imports import source as import_source
from recordings.imports.models import ImportItem, ImportJob
from tests.factories import ImportItemFactory, ImportJobFactory, RecordingFactory
from tests.helpers import form_data

ROLES = ["viewer", "member", "admin", "owner"]
SOURCE_SID = "AC" + "0123456789abcdef" * 2
UNREACHABLE = "http://127.0.0.1:9"
REFRESH = '<meta http-equiv="refresh" content="2">'
LIST = reverse("imports:list")


def _token() -> str:
    return "rvtok" + secrets.token_hex(16)


def _start_data(token: str, **changes) -> dict:
    data = {
        "source_account_sid": SOURCE_SID,
        "auth_token": token,
        "api_base_url": UNREACHABLE,
        "since": "",
        "until": "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def _job(account, **fields) -> ImportJob:
    values = {
        "kind": ImportJob.Kind.TWILIO,
        "source": UNREACHABLE,
        "source_account_sid": SOURCE_SID,
        "options": {"voice": False, "include_deleted": False, "since": None, "until": None},
    }
    values.update(fields)
    return ImportJobFactory(account=account, **values)


def _job_url(job) -> str:
    return reverse("imports:job", args=[job.pk])


def _everything_stored(job: ImportJob) -> str:
    """Every field of the job, its items and the account's audit log, as text."""
    rows = [
        *ImportJob.objects.filter(pk=job.pk).values(),
        *ImportItem.objects.filter(job=job).values(),
        *AuditEvent.objects.filter(account=job.account).values(),
    ]
    return repr(rows)


@pytest.fixture
def no_retries(monkeypatch):
    """Fail at the first refused connection instead of retrying for about a minute."""
    monkeypatch.setattr(import_source, "RETRIES", 0)


# WHO MAY ---------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in(client, account):
    job = _job(account)
    for response in (
        client.get(LIST),
        client.post(LIST, _start_data(_token())),
        client.get(_job_url(job)),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    assert ImportJob.objects.count() == 1


@pytest.mark.parametrize("role", ROLES)
def test_only_admins_and_owners_see_and_start_imports(
    role, account, console_client, django_capture_on_commit_callbacks, no_retries
):
    client = console_client(role)
    job = _job(account, status=ImportJob.Status.DONE)
    allowed = role in ("admin", "owner")

    listed = client.get(LIST)
    shown = client.get(_job_url(job))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        started = client.post(LIST, _start_data(_token()))

    if allowed:
        assert (listed.status_code, shown.status_code, started.status_code) == (200, 200, 302)
        assert ImportJob.objects.count() == 2
        assert len(callbacks) == 1
    else:
        assert (listed.status_code, shown.status_code, started.status_code) == (403, 403, 403)
        assert ImportJob.objects.count() == 1
        assert callbacks == []
        assert not AuditEvent.objects.filter(action="recordings.import").exists()


@pytest.mark.parametrize("role", ROLES)
def test_the_sidebar_links_imports_for_admins_and_owners_only(role, console_client):
    page = console_client(role).get(reverse("home")).content.decode()
    assert (f'href="{LIST}"' in page) is (role in ("admin", "owner"))


def test_another_accounts_job_does_not_exist_here(account, other_account, console_client):
    foreign = _job(other_account, source_account_sid="AC" + "f" * 32)
    ImportItemFactory(job=foreign, sid="RT" + "e" * 32, result="failed", reason="secret")
    client = console_client("owner")

    assert client.get(_job_url(foreign)).status_code == 404
    assert client.get(reverse("imports:job", args=[foreign.pk + 1000])).status_code == 404
    listed = client.get(LIST).content.decode()
    assert "AC" + "f" * 32 not in listed and f"Import {foreign.pk}<" not in listed


def test_an_owner_of_both_accounts_sees_the_jobs_of_the_account_they_work_in(
    account, other_account, console_client
):
    here, there = _job(account), _job(other_account, source_account_sid="AC" + "f" * 32)
    client = console_client("owner", in_account=other_account)
    assert client.get(_job_url(there)).status_code == 200
    assert client.get(_job_url(here)).status_code == 404


# THE FORM --------------------------------------------------------------------------------------


def test_the_form_explains_how_the_token_is_kept(console_client):
    page = console_client("admin").get(LIST).content.decode()
    assert 'type="password"' in page and 'name="auth_token"' in page
    assert "kept encrypted only while the import waits or runs" in page
    assert "cleared the moment it stops" in page
    assert import_source.TWILIO_API in page
    assert "No imports yet" in page


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"source_account_sid": "AC123"}, "source_account_sid", "AC followed by 32 hex digits"),
        ({"source_account_sid": "RT" + "0" * 32}, "source_account_sid", "AC followed by"),
        ({"source_account_sid": "AC" + "g" * 32}, "source_account_sid", "AC followed by"),
        ({"source_account_sid": ""}, "source_account_sid", "This field is required"),
        ({"auth_token": ""}, "auth_token", "This field is required"),
        ({"auth_token": None}, "auth_token", "This field is required"),
        ({"api_base_url": "ftp://files.example.com"}, "api_base_url", "http:// or https://"),
        ({"api_base_url": "api.twilio.com"}, "api_base_url", "http:// or https://"),
        ({"api_base_url": "https://"}, "api_base_url", "http:// or https://"),
        ({"api_base_url": "https://h:notaport"}, "api_base_url", "http:// or https://"),
        ({"api_base_url": "https://u:pw@api.example.com"}, "api_base_url", "Leave credentials"),
        ({"api_base_url": "https://api.example.com/?a=1"}, "api_base_url", "without a query"),
        ({"since": "2024-03-02", "until": "2024-03-01"}, "until", "Must be a later day"),
        ({"since": "2024-03-01", "until": "2024-03-01"}, "until", "Must be a later day"),
        ({"since": "yesterday"}, "since", "Enter a valid date"),
    ],
)
def test_invalid_forms_are_shown_with_their_errors_and_start_nothing(
    changes, field, message, account, console_client, django_capture_on_commit_callbacks
):
    token = _token()
    client = console_client("admin")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(LIST, _start_data(token, **changes))

    assert response.status_code == 200
    assert response.context["form"].errors[field]
    page = response.content.decode()
    errors = re.search(rf'id="id_{field}_error">(.*?)</ul>', page, re.S)
    assert errors and message in errors[1]
    assert token not in page  # the token is never rendered back, not even with errors
    assert ImportJob.objects.count() == 0 and callbacks == []
    assert not AuditEvent.objects.filter(action="recordings.import").exists()


def test_a_second_import_of_a_source_still_running_is_refused(account, console_client):
    running = _job(account, status=ImportJob.Status.RUNNING, credentials="sealed")
    client = console_client("admin")

    refused = client.post(LIST, _start_data(_token()))

    assert refused.status_code == 200
    assert f"Import {running.pk} of this account from this source is still running" in (
        refused.content.decode()
    )
    assert ImportJob.objects.count() == 1
    # Another source account, or the same one once the job has stopped, may start.
    elsewhere = client.post(LIST, _start_data(_token(), source_account_sid="AC" + "1" * 32))
    assert elsewhere.status_code == 302
    ImportJob.objects.filter(pk=running.pk).update(status=ImportJob.Status.FAILED)
    assert client.post(LIST, _start_data(_token())).status_code == 302


def test_a_job_quiet_for_long_is_taken_for_stuck(account, console_client):
    stuck = _job(account, status=ImportJob.Status.QUEUED, credentials="sealed")
    ImportJob.objects.filter(pk=stuck.pk).update(
        date_updated=timezone.now() - timedelta(minutes=11)
    )
    client = console_client("admin")

    page = client.get(_job_url(stuck)).content.decode()
    assert REFRESH in page and "the worker running it may have stopped" in page
    assert client.post(LIST, _start_data(_token())).status_code == 302
    assert ImportJob.objects.count() == 2
    fresh = ImportJob.objects.exclude(pk=stuck.pk).get()
    assert "may have stopped" not in client.get(_job_url(fresh)).content.decode()


# STARTING A JOB --------------------------------------------------------------------------------


def test_starting_keeps_the_token_sealed_and_queues_the_job(
    account, console_client, django_capture_on_commit_callbacks
):
    token = _token()
    client = console_client("admin")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            LIST,
            _start_data(
                token,
                api_base_url="https://source.example.com/",
                include_deleted="on",
                voice="on",
                since="2024-01-01",
                until="2024-02-01",
            ),
        )

    (job,) = ImportJob.objects.all()
    assert response.status_code == 302 and response["Location"] == _job_url(job)
    assert len(callbacks) == 1  # the task, queued once the request commits
    assert job.account == account
    assert job.kind == ImportJob.Kind.TWILIO and job.status == ImportJob.Status.QUEUED
    assert job.source == "https://source.example.com"
    assert job.source_account_sid == SOURCE_SID
    assert job.created_by.username == "admin@example.com"
    assert job.options == {
        "voice": True,
        "include_deleted": True,
        "since": "2024-01-01T00:00:00+00:00",
        "until": "2024-02-01T00:00:00+00:00",
    }
    assert job.credentials and services.credentials_open(job.credentials) == token
    assert token not in _everything_stored(job)
    event = AuditEvent.objects.get(account=account, action="recordings.import")
    assert event.actor == "user:admin@example.com" and SOURCE_SID in event.object_repr

    page = client.get(response["Location"]).content.decode()
    assert REFRESH in page and "waiting for a worker" in page
    assert "video and voice recordings, deleted ones too" in page
    assert "created 2024-01-01 to before 2024-02-01" in page
    assert "kept encrypted until the import stops" in page
    listed = client.get(LIST).content.decode()
    assert f"Import {job.pk}<" in listed and "admin@example.com" in listed
    assert token not in page + listed


def test_twilio_is_the_default_source(account, console_client, django_capture_on_commit_callbacks):
    client = console_client("owner")
    with django_capture_on_commit_callbacks(execute=False):
        client.post(LIST, _start_data(_token(), api_base_url=""))
    (job,) = ImportJob.objects.all()
    assert job.source == import_source.TWILIO_API
    assert job.options == {"voice": False, "include_deleted": False, "since": None, "until": None}
    page = client.get(_job_url(job)).content.decode()
    assert f"from Twilio ({import_source.TWILIO_API})" in page
    assert "Imports video recordings of" in page


def test_a_job_whose_source_is_unreachable_fails_readably_and_forgets_the_token(
    account, console_client, django_capture_on_commit_callbacks, no_retries, caplog
):
    token = _token()
    client = console_client("admin")
    caplog.set_level(logging.DEBUG)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(LIST, _start_data(token, voice="on"))

    (job,) = ImportJob.objects.all()
    assert response.status_code == 302 and response["Location"] == _job_url(job)
    assert job.status == ImportJob.Status.FAILED
    assert job.credentials == ""
    assert job.date_finished is not None
    # Said in a line (the service's wording may name the exception or say it in words).
    assert re.search(r"could not be reached|ConnectionError", job.error)
    assert "Traceback" not in job.error and "\n" not in job.error
    assert token not in _everything_stored(job)

    pages = [
        response.content.decode(),
        client.get(response["Location"]).content.decode(),
        client.get(LIST).content.decode(),
    ]
    job_page = pages[1]
    assert REFRESH not in job_page
    assert f'stopped: <span class="import-error">{escape(job.error)}</span>' in job_page
    assert "start the same import again to continue" in job_page
    assert re.search(r"Source auth token</dt><dd><span class=\"muted\">cleared", job_page)
    assert all(token not in page for page in pages)
    # Nothing logged the token either: not the failed task, nor the request.
    assert caplog.records and token not in caplog.text
    assert all(token not in repr(record.__dict__) for record in caplog.records)


# A JOB'S PAGE ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "refreshes"),
    [("queued", True), ("running", True), ("done", False), ("failed", False)],
)
def test_the_job_page_refreshes_itself_only_until_the_job_stops(
    status, refreshes, account, console_client
):
    job = _job(account, status=status, error="TwilioRestException: HTTP 401" * (status == "failed"))
    page = console_client("admin").get(_job_url(job)).content.decode()
    assert (REFRESH in page) is refreshes
    assert f'<strong class="import-status status-{status}">{status.capitalize()}</strong>' in page
    if status == "failed":
        assert 'stopped: <span class="import-error">TwilioRestException: HTTP 401</span>' in page


def test_the_job_page_shows_counts_failures_and_links_to_what_was_imported(
    account, other_account, console_client
):
    job = _job(
        account,
        status=ImportJob.Status.DONE,
        seen=9,
        imported=3,
        skipped_existing=2,
        failed=4,
        bytes=12_345_678,
        date_finished=timezone.now(),
    )
    video = RecordingFactory(track__participant__room__account=account)
    _, voice = simulate_call(account=account, seconds=1)
    gone = "RT" + "d" * 32  # imported, since removed (not in this account any more)
    foreign = RecordingFactory(track__participant__room__account=other_account)
    for sid, size in [(video.sid, 2048), (voice.sid, 4096), (gone, 10), (foreign.sid, 0)]:
        ImportItemFactory(job=job, sid=sid, result="imported", bytes=size)
    ImportItemFactory(job=job, sid="RT" + "a" * 32, result="skipped_existing")
    failures = {
        "RT" + "b" * 32: "media truncated: 10 of 20 bytes",
        "RT" + "c" * 32: "RT" + "c" * 32 + " exists in another account",
        "RE" + "e" * 32: "still processing at the source",
    }
    for sid, reason in failures.items():
        ImportItemFactory(job=job, sid=sid, result="failed", reason=reason)
    client = console_client("admin")

    page = client.get(_job_url(job)).content.decode()

    counts = dict(re.findall(r'<dd class="import-(\w+)">([^<]*)</dd>', page))
    assert counts == {
        "seen": "9",
        "imported": "3",
        "skipped": "2",
        "failed": "4",
        "mb": "12.3 MB",
    }
    assert REFRESH not in page
    assert "done: 3 recordings imported, 2 already here, 4 failed" in page
    rows = re.findall(r"<tr><td><code>(\w+)</code></td><td>([^<]*)</td></tr>", page)
    assert rows == sorted(failures.items())
    assert f'href="{reverse("recordings:detail", args=[video.sid])}"' in page
    assert f'href="{reverse("voice:detail", args=[voice.sid])}"' in page
    assert f'<code>{gone}</code> <small class="muted">(no longer here)</small>' in page
    assert f'<code>{foreign.sid}</code> <small class="muted">(no longer here)</small>' in page
    assert "/" + foreign.sid not in page
    # The links lead to the recordings' own pages.
    assert client.get(reverse("recordings:detail", args=[video.sid])).status_code == 200
    assert client.get(reverse("voice:detail", args=[voice.sid])).status_code == 200
    listed = client.get(LIST).content.decode()
    assert re.search(r"<td>9</td>\s*<td>3</td>\s*<td>2</td>\s*<td>4</td>\s*<td>12.3</td>", listed)


def test_the_job_page_shows_the_first_failures_and_how_many_there_are(account, console_client):
    job = _job(account, status=ImportJob.Status.RUNNING, failed=205, seen=205)
    ImportItem.objects.bulk_create(
        ImportItem(job=job, sid=f"RT{n:032x}", result="failed", reason=f"reason {n}")
        for n in range(205)
    )
    page = console_client("owner").get(_job_url(job)).content.decode()
    shown = re.findall(r"<tr><td><code>(RT\w+)</code></td>", page)
    assert shown == [f"RT{n:032x}" for n in range(200)]
    assert "Showing the first 200 of 205 failures." in page
    assert REFRESH in page and "No failures" not in page


def test_the_list_shows_jobs_newest_first(account, console_client):
    older = _job(account, status=ImportJob.Status.DONE)
    newer = _job(account, source="https://api.twilio.com", options={"voice": True})
    page = console_client("admin").get(LIST).content.decode()
    assert page.index(f"Import {newer.pk}<") < page.index(f"Import {older.pk}<")
    assert "video and voice recordings" in page and "Twilio" in page


# END TO END AGAINST A SOURCE ROOMVAULT -------------------------------------------------------


def test_an_import_started_here_brings_the_sources_recordings_into_this_account(
    source_server, account, console_client, django_capture_on_commit_callbacks, caplog
):
    client = console_client("admin")
    start = form_data(client.get(LIST).content.decode(), LIST, "import-start")
    start.update(
        source_account_sid=source_server.account_sid,
        auth_token=source_server.auth_token,
        api_base_url=source_server.base_url,
        voice="on",
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(LIST, start)

    (job,) = ImportJob.objects.all()
    assert job.status == ImportJob.Status.DONE, job.error
    assert job.credentials == "" and source_server.auth_token not in _everything_stored(job)
    assert job.imported > 0 and job.seen == job.imported + job.skipped_existing + job.failed
    page = client.get(response["Location"]).content.decode()
    assert REFRESH not in page and source_server.auth_token not in page
    assert source_server.auth_token not in caplog.text
    assert job.items.filter(result="imported", sid__startswith="RE").exists()  # voice too
    assert job.items.filter(result="imported", sid__startswith="RT").exists()
    for item in job.items.filter(result="imported"):
        name = "voice:detail" if item.sid.startswith("RE") else "recordings:detail"
        assert f'href="{reverse(name, args=[item.sid])}"' in page
    for item in job.items.filter(result="failed"):
        assert f"<tr><td><code>{item.sid}</code></td><td>{item.reason}</td></tr>" in page


def test_a_wrong_token_fails_the_job_saying_to_check_the_credentials(
    source_server, account, console_client, django_capture_on_commit_callbacks
):
    token = _token()
    client = console_client("owner")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            LIST,
            _start_data(
                token,
                source_account_sid=source_server.account_sid,
                api_base_url=source_server.base_url,
            ),
        )
    (job,) = ImportJob.objects.all()
    assert job.status == ImportJob.Status.FAILED and job.credentials == ""
    page = client.get(_job_url(job)).content.decode()
    refused = "The source refused the Account SID / auth token: check them and try again."
    assert f'stopped: <span class="import-error">{refused}</span>' in page
    # Neither the source's body nor advice that cannot help (the same token fails again).
    assert "20003" not in page and "{" not in job.error
    assert "start the same import again" not in page
    assert token not in page and token not in _everything_stored(job)


def test_a_source_without_that_api_fails_the_job_saying_what_to_check(
    source_server, account, console_client, django_capture_on_commit_callbacks
):
    client = console_client("owner")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            LIST,
            _start_data(
                source_server.auth_token,
                source_account_sid=source_server.account_sid,
                api_base_url=f"{source_server.base_url}/not-an-api",
            ),
        )
    (job,) = ImportJob.objects.all()
    assert job.status == ImportJob.Status.FAILED
    page = client.get(_job_url(job)).content.decode()
    assert (
        "The source has no such account, or no Twilio-compatible API at that address "
        "(HTTP 404): check the Account SID and the API base URL, and try again." in page
    )
