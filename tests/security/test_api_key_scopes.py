"""Finding 5: API keys without scopes.

The key a media server holds could delete recordings and change recording settings. A key now has
a scope, checked on every API and ingest request against the role table: ``main`` (everything),
``standard`` (the Video and Voice APIs, not keys, credentials or settings), ``read`` (GET and
HEAD on the APIs) and ``ingest`` (only /ingest/v1). A refused scope answers 403, Twilio code 20403.
"""

import io
import json
import re
import tempfile
from pathlib import Path
from urllib.parse import urlencode
from xml.etree import ElementTree

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from console import selectors as console_selectors
from console import services as console_services
from recordings.voice import audio
from recordings.voice import services as voice_services
from recordings.voice.choices import RecordingSource
from tests.helpers import assert_twilio_error, client_for

FORM = "application/x-www-form-urlencoded"
SETTINGS = "/v1/RecordingSettings/Default"


def key_client(account, scope: str):
    """Return an API client holding a new key of ``account`` with this scope."""
    new = console_services.api_key_create(account=account, friendly_name=scope, scope=scope)
    return client_for(new.key.sid, new.secret)


def assert_forbidden(response, needs: str) -> None:
    """Assert the Twilio 403 (20403) whose message names the scope the request needs."""
    body = assert_twilio_error(response, 403, 20403)
    assert needs in body["message"], body["message"]


def status_of(api, sid: str) -> str:
    response = api.get(f"/v1/Recordings/{sid}")
    assert response.status_code == 200, response.content
    return response.json()["status"]


def voice_recording(account):
    """Return a completed voice recording of a finished call, with real audio."""
    call = voice_services.call_start(account=account)
    recording = voice_services.voice_recording_start(
        call=call, source=RecordingSource.OUTBOUND_API, channels=1
    )
    voice_services.call_end(call=call)
    with tempfile.NamedTemporaryFile(suffix=".wav") as file:
        audio.write_wav(audio.speech(1.0, dual=False), file)
        file.flush()
        recording.refresh_from_db()
        path = Path(file.name)
        return voice_services.voice_recording_audio_ingest(recording=recording, path=path)


def voice_path(account, recording, ext: str) -> str:
    return f"/2010-04-01/Accounts/{account.sid}/Recordings/{recording.sid}.{ext}"


@pytest.fixture
def recording(make_completed_recording):
    return make_completed_recording()


# --- an ingest key (what a media server holds) ----------------------------------------------------


def test_ingest_key_cannot_delete_a_recording(api, account, recording):
    response = key_client(account, "ingest").delete(f"/v1/Recordings/{recording.sid}")
    assert_forbidden(response, "standard")
    assert status_of(api, recording.sid) == "completed"


def test_ingest_key_cannot_list_or_fetch_recordings(account, recording):
    client = key_client(account, "ingest")
    assert_forbidden(client.get("/v1/Recordings"), "read")
    assert_forbidden(client.get(f"/v1/Recordings/{recording.sid}/Media"), "read")


def test_ingest_key_cannot_change_recording_settings(api, account):
    client = key_client(account, "ingest")
    response = client.post(SETTINGS, urlencode({"FriendlyName": "owned"}), content_type=FORM)
    assert_forbidden(response, "main")
    assert api.get(SETTINGS).json()["friendly_name"] != "owned"


def test_ingest_key_can_report_a_room(account):
    response = key_client(account, "ingest").post(
        "/ingest/v1/Rooms", {"unique_name": "standup"}, format="json"
    )
    assert response.status_code == 201, response.content


# --- a read key -----------------------------------------------------------------------------------


def test_read_key_fetches_but_cannot_delete_a_video_recording(api, account, recording):
    client = key_client(account, "read")
    assert client.get(f"/v1/Recordings/{recording.sid}").json()["sid"] == recording.sid
    assert client.get("/v1/Recordings").status_code == 200
    assert client.get(f"/v1/Recordings/{recording.sid}/Media").status_code == 302
    assert_forbidden(client.delete(f"/v1/Recordings/{recording.sid}"), "standard")
    room_path = f"/v1/Rooms/{recording.room_id}/Recordings/{recording.sid}"
    assert_forbidden(client.delete(room_path), "standard")
    assert status_of(api, recording.sid) == "completed"


def test_read_key_cannot_create_or_end_a_room(account):
    client = key_client(account, "read")
    response = client.post("/v1/Rooms", urlencode({"UniqueName": "x"}), content_type=FORM)
    assert_forbidden(response, "standard")


def test_read_key_fetches_but_cannot_delete_a_voice_recording(api, account):
    recording = voice_recording(account)
    client = key_client(account, "read")
    fetched = client.get(voice_path(account, recording, "json"))
    assert (fetched.status_code, fetched.json()["sid"]) == (200, recording.sid)
    assert_forbidden(client.delete(voice_path(account, recording, "json")), "standard")
    recording.refresh_from_db()
    assert recording.status == "completed"


def test_refused_scope_answers_twilio_xml_on_the_xml_route(account):
    recording = voice_recording(account)
    assert key_client(account, "read").get(voice_path(account, recording, "xml")).status_code == 200
    response = key_client(account, "ingest").get(voice_path(account, recording, "xml"))
    assert response.status_code == 403
    exception = ElementTree.fromstring(response.content).find("RestException")
    assert exception.findtext("Code") == "20403"
    assert exception.findtext("Status") == "403"
    assert "read" in exception.findtext("Message")


# --- a standard key -------------------------------------------------------------------------------


def test_standard_key_deletes_a_recording(api, account, recording):
    response = key_client(account, "standard").delete(f"/v1/Recordings/{recording.sid}")
    assert response.status_code == 204, response.content
    assert status_of(api, recording.sid) == "deleted"


def test_standard_key_deletes_a_voice_recording(account):
    recording = voice_recording(account)
    response = key_client(account, "standard").delete(voice_path(account, recording, "json"))
    assert response.status_code == 204, response.content


def test_standard_key_cannot_manage_settings_or_credentials(api, account):
    client = key_client(account, "standard")
    response = client.post(SETTINGS, urlencode({"FriendlyName": "owned"}), content_type=FORM)
    assert_forbidden(response, "main")
    assert api.get(SETTINGS).json()["friendly_name"] != "owned"
    assert_forbidden(client.get("/v1/Credentials/PublicKeys"), "main")
    response = client.post(
        "/v1/Credentials/PublicKeys", urlencode({"PublicKey": "x"}), content_type=FORM
    )
    assert_forbidden(response, "main")


@pytest.mark.parametrize("scope", ["read", "standard"])
def test_api_keys_cannot_use_the_ingest_api(account, scope):
    client = key_client(account, scope)
    response = client.post("/ingest/v1/Rooms", {"unique_name": "standup"}, format="json")
    assert_forbidden(response, "ingest")
    response = client.post(
        "/ingest/v1/Calls", {"from_number": "+15550100", "to_number": "+15550101"}, format="json"
    )
    assert_forbidden(response, "ingest")
    assert not console_selectors.api_keys_of(account=account).filter(scope="ingest").exists()


@pytest.mark.parametrize("scope", ["read", "ingest"])
def test_unknown_paths_are_404_whatever_the_scope(account, scope):
    client = key_client(account, scope)
    assert_twilio_error(client.post("/v1/Nothing", {}), 404, 20404)
    assert_twilio_error(client.delete("/ingest/v1/Nothing"), 404, 20404)


# --- main: everything, as every key could before scopes ------------------------------------------


def test_main_key_does_everything(api, account, recording):
    client = key_client(account, "main")
    response = client.post(SETTINGS, urlencode({"FriendlyName": "ours"}), content_type=FORM)
    assert (response.status_code, response.json()["friendly_name"]) == (200, "ours")
    assert client.get("/v1/Credentials/PublicKeys").status_code == 200
    ingest = client.post("/ingest/v1/Rooms", {"unique_name": "standup"}, format="json")
    assert ingest.status_code == 201, ingest.content
    assert client.delete(f"/v1/Recordings/{recording.sid}").status_code == 204
    assert status_of(api, recording.sid) == "deleted"


def test_account_auth_token_keeps_settings_management(api):
    response = api.post(SETTINGS, urlencode({"FriendlyName": "ours"}), content_type=FORM)
    assert response.status_code == 200, response.content


# --- keys made before scopes ----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_migration_makes_existing_keys_main():
    executor = MigrationExecutor(connection)
    executor.migrate([("console", "0003_invitations")])
    old = executor.loader.project_state([("console", "0003_invitations")]).apps
    account = old.get_model("console", "Account").objects.create(friendly_name="before")
    old.get_model("console", "ApiKey").objects.create(account=account, secret_hash="0" * 64)

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    from console.models import ApiKey

    assert list(ApiKey.objects.values_list("scope", flat=True)) == ["main"]


# --- the create_api_key command -------------------------------------------------------------------


def created_by_command(account, *options) -> tuple[dict, object]:
    out = io.StringIO()
    call_command("create_api_key", "--account", account.sid, *options, "--json", stdout=out)
    printed = json.loads(out.getvalue())
    key = console_selectors.api_keys_of(account=account).get(sid=printed["sid"])
    return printed, key


def test_create_api_key_defaults_to_standard(account):
    printed, key = created_by_command(account)
    assert set(printed) == {"sid", "secret"}
    assert key.scope == "standard"


def test_create_api_key_with_ingest_scope_only_ingests(account, recording):
    printed, key = created_by_command(account, "--scope", "ingest")
    assert key.scope == "ingest"
    client = client_for(printed["sid"], printed["secret"])
    assert_forbidden(client.delete(f"/v1/Recordings/{recording.sid}"), "standard")
    assert client.post("/ingest/v1/Rooms", {"unique_name": "a"}, format="json").status_code == 201


def test_create_api_key_refuses_an_unknown_scope(account):
    with pytest.raises(CommandError, match="argument --scope: invalid choice: 'admin'"):
        call_command("create_api_key", "--account", account.sid, "--scope", "admin", "--json")
    assert not console_selectors.api_keys_of(account=account).exists()


# --- the API keys page ----------------------------------------------------------------------------


def test_keys_page_creates_a_key_with_the_chosen_scope_and_lists_it(account, console_client):
    client = console_client("owner")
    page = client.get("/team/keys/create/").content.decode()
    assert re.search(r'<input[^>]*value="standard"[^>]*checked', page), "standard is the default"
    data = {"friendly_name": "media server eu-1", "scope": "ingest"}
    created = client.post("/team/keys/create/", data)
    assert created.status_code == 200
    key = console_selectors.api_keys_of(account=account).get()
    assert (key.friendly_name, key.scope) == ("media server eu-1", "ingest")
    assert "Ingest" in created.content.decode()

    listed = client.get("/team/keys/").content.decode()
    row = listed.split(key.sid)[1].split("</tr>")[0]
    assert "Ingest" in row


def test_keys_page_refuses_an_unknown_scope(account, console_client):
    client = console_client("owner")
    response = client.post("/team/keys/create/", {"friendly_name": "x", "scope": "root"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not console_selectors.api_keys_of(account=account).exists()
