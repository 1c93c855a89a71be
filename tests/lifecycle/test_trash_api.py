"""The trash through the APIs (issue 19): a delete of an account with the trash on answers as
Twilio's does (status deleted, media 404) while the file stays, and /roomvault/v1/Trash brings
back the exact bytes. The attacker's tests come first."""

import hashlib
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

import pytest
from django.test import Client

from console import services as console_services
from console.models import AuditEvent
from console.services import SYSTEM
from recordings.compositions import services as composition_services
from recordings.compositions.models import Composition
from recordings.compositions.spec import spec_clean
from recordings.devtools.simulator import simulate_room
from recordings.devtools.voice_simulator import simulate_call
from recordings.lifecycle import trash
from recordings.lifecycle.models import TrashedItem
from recordings.media.store import get_media_store
from tests.helpers import assert_twilio_error, client_for

pytestmark = pytest.mark.django_db

TRASH = "/roomvault/v1/Trash"
SETTINGS = "/roomvault/v1/TrashSettings"
MEDIA = b"\x1aE\xdf\xa3" + bytes(range(256)) * 64


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def served(api, media_path: str) -> bytes | None:
    """Download media as an application would: the API's redirect, then the signed URL; None
    when the API answers 404."""
    response = api.get(media_path)
    if response.status_code == 404:
        return None
    assert response.status_code == 302, response.content
    url = urlsplit(response["Location"])
    file = Client().get(f"{url.path}?{url.query}")
    assert file.status_code == 200
    return b"".join(file.streaming_content)


@dataclass(frozen=True)
class Made:
    """A recording of one kind with media, and its paths in the API that serves it."""

    sid: str
    model: type
    resource: str  # GET: the recording; DELETE: delete it
    media: str
    media_key: str


def make_video(account, make_completed_recording, capture) -> Made:
    recording = make_completed_recording(media=MEDIA, track__participant__room__account=account)
    path = f"/v1/Recordings/{recording.sid}"
    return Made(recording.sid, type(recording), path, path + "/Media", recording.media_key)


def make_voice(account, make_completed_recording, capture) -> Made:
    _, recording = simulate_call(account=account, seconds=1)
    path = f"/2010-04-01/Accounts/{account.sid}/Recordings/{recording.sid}"
    return Made(recording.sid, type(recording), path + ".json", path, recording.media_key)


def make_composition(account, make_completed_recording, capture) -> Made:
    room, _ = simulate_room(account=account, identities=["a"], seconds=1)
    with capture(execute=True):
        made = composition_services.composition_create(
            room=room, spec=spec_clean(audio_sources=["*"], format="mp4"), actor=SYSTEM
        )
    composition = Composition.objects.get(pk=made.pk)
    assert composition.status == "completed"
    path = f"/v1/Compositions/{composition.sid}"
    return Made(composition.sid, Composition, path, path + "/Media", composition.media_key)


MAKERS = {"video": make_video, "voice": make_voice, "composition": make_composition}


@pytest.fixture
def make(account, make_completed_recording, django_capture_on_commit_callbacks):
    def build(kind: str = "video", of=None) -> Made:
        return MAKERS[kind](
            of or account, make_completed_recording, django_capture_on_commit_callbacks
        )

    return build


@pytest.fixture
def trash_on(account):
    trash.account_trash_set(account=account, actor=SYSTEM, enabled=True)
    account.refresh_from_db()
    return account


@pytest.fixture
def delete(api, django_capture_on_commit_callbacks):
    """Delete through the API that serves the recording, side effects run (Celery is eager)."""

    def run(made: Made, client=None) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            response = (client or api).delete(made.resource)
        assert response.status_code == 204, response.content

    return run


def post_form(client, path: str, data: dict):
    """POST form-encoded, as Twilio's clients do."""
    return client.post(path, urlencode(data), content_type="application/x-www-form-urlencoded")


def keyed(account, scope: str):
    key = console_services.api_key_create(account=account, friendly_name=scope, scope=scope)
    return client_for(key.key.sid, key.secret)


# --- the attacker's tests ----------------------------------------------------------------------


def test_another_accounts_trashed_recording_is_not_found_nor_restored(
    api, other_account, make, django_capture_on_commit_callbacks
):
    trash.account_trash_set(account=other_account, actor=SYSTEM, enabled=True)
    other_account.refresh_from_db()
    theirs = make(of=other_account)
    with django_capture_on_commit_callbacks(execute=True):
        keyed(other_account, "main").delete(theirs.resource)
    assert TrashedItem.objects.filter(sid=theirs.sid).exists()

    assert_twilio_error(api.get(f"{TRASH}/{theirs.sid}"), 404, 20404)
    assert_twilio_error(api.post(f"{TRASH}/{theirs.sid}/Restore"), 404, 20404)
    assert api.get(TRASH).json()["items"] == []
    assert theirs.model.objects.get(sid=theirs.sid).status == "deleted"
    assert TrashedItem.objects.filter(sid=theirs.sid).exists()


@pytest.mark.parametrize("sid", ["RT" + "0" * 32, "RT123", "XX" + "0" * 32, "%E2%80%A8"])
def test_unknown_and_malformed_sids_are_not_found(api, trash_on, sid):
    assert_twilio_error(api.get(f"{TRASH}/{sid}"), 404, 20404)
    assert_twilio_error(api.post(f"{TRASH}/{sid}/Restore"), 404, 20404)


def test_a_live_recording_is_not_in_the_trash(api, trash_on, make):
    mine = make()

    assert_twilio_error(api.post(f"{TRASH}/{mine.sid}/Restore"), 404, 20404)
    assert mine.model.objects.get(sid=mine.sid).status == "completed"


@pytest.mark.parametrize("scope", ["standard", "read"])
def test_standard_and_read_keys_may_not_touch_the_trash(account, trash_on, make, delete, scope):
    mine = make()
    delete(mine)
    client = keyed(account, scope)

    for response in [
        client.get(SETTINGS),
        post_form(client, SETTINGS, {"Enabled": "false"}),
        client.get(TRASH),
        client.get(f"{TRASH}/{mine.sid}"),
        client.post(f"{TRASH}/{mine.sid}/Restore"),
    ]:
        body = assert_twilio_error(response, 403, 20403)
        assert "scope main" in body["message"]
    account.refresh_from_db()
    assert account.trash_enabled
    assert mine.model.objects.get(sid=mine.sid).status == "deleted"


def test_a_main_key_may(account, trash_on, make, delete):
    mine = make()
    delete(mine)

    response = keyed(account, "main").post(f"{TRASH}/{mine.sid}/Restore")

    assert response.status_code == 200
    assert mine.model.objects.get(sid=mine.sid).status == "completed"


def test_the_trash_needs_credentials(client, trash_on):
    assert_twilio_error(client.get(TRASH), 401, 20003)
    assert_twilio_error(post_form(client, SETTINGS, {"Enabled": "true"}), 401, 20003)


# --- the setting -------------------------------------------------------------------------------


def test_the_trash_is_off_by_default_and_turned_on_audited(api, account, settings):
    settings.TRASH_DAYS = 12

    assert api.get(SETTINGS).json() == {
        "account_sid": account.sid,
        "enabled": False,
        "trash_days": 12,
        "url": f"http://testserver{SETTINGS}",
    }
    response = post_form(api, SETTINGS, {"Enabled": "true"})

    assert response.status_code == 200
    assert response.json()["enabled"] is True
    account.refresh_from_db()
    assert account.trash_enabled
    event = AuditEvent.objects.get(action="trash.enable")
    assert event.account_id == account.sid and event.actor == f"api:{account.sid}"


@pytest.mark.parametrize("data", [{}, {"Enabled": "yes please"}])
def test_a_missing_or_bad_enabled_is_refused(api, account, data):
    body = assert_twilio_error(post_form(api, SETTINGS, data), 400, 20001)

    assert "Enabled" in body["message"]
    account.refresh_from_db()
    assert not account.trash_enabled


# --- delete into the trash, restore the exact bytes ---------------------------------------------


@pytest.mark.parametrize("kind", ["video", "voice", "composition"])
def test_a_delete_answers_as_twilio_and_a_restore_brings_back_the_exact_bytes(
    api, account, trash_on, make, delete, kind
):
    mine = make(kind)
    original = served(api, mine.media)
    assert original

    delete(mine)

    assert api.get(mine.resource).status_code in (200, 404)  # voice: 404 unless asked, as Twilio
    assert mine.model.objects.get(sid=mine.sid).status == "deleted"
    assert served(api, mine.media) is None
    assert get_media_store().exists(mine.media_key)
    (listed,) = api.get(TRASH, {"Kind": kind}).json()["items"]
    assert (listed["sid"], listed["kind"], listed["previous_status"]) == (
        mine.sid,
        kind,
        "completed",
    )
    assert listed["description"]
    assert listed["links"]["restore"] == f"http://testserver{TRASH}/{mine.sid}/Restore"

    response = api.post(f"{TRASH}/{mine.sid}/Restore")

    assert response.status_code == 200
    assert response.json()["sid"] == mine.sid
    assert mine.model.objects.get(sid=mine.sid).status == "completed"
    assert mine.model.objects.get(sid=mine.sid).date_deleted is None
    assert sha(served(api, mine.media)) == sha(original)
    assert_twilio_error(api.get(f"{TRASH}/{mine.sid}"), 404, 20404)
    assert_twilio_error(api.post(f"{TRASH}/{mine.sid}/Restore"), 404, 20404)
    assert AuditEvent.objects.filter(object_sid=mine.sid, action__endswith=".restore").count() == 1


def test_a_deleted_video_recording_says_deleted_in_the_video_api(api, trash_on, make, delete):
    mine = make()
    delete(mine)

    body = api.get(mine.resource).json()

    assert body["status"] == "deleted"
    assert served(api, mine.media) is None


def test_the_restored_video_bytes_are_the_ones_uploaded(api, trash_on, make, delete):
    mine = make()
    delete(mine)
    api.post(f"{TRASH}/{mine.sid}/Restore")

    assert sha(served(api, mine.media)) == sha(MEDIA)


def test_trash_off_a_delete_removes_the_media_as_before(api, account, make, delete):
    mine = make()

    delete(mine)

    assert not get_media_store().exists(mine.media_key)
    assert not TrashedItem.objects.exists()
    assert api.get(TRASH).json()["items"] == []


# --- the list ----------------------------------------------------------------------------------


def test_the_list_filters_by_kind_and_pages(api, trash_on, make, delete):
    first, second = make(), make()
    voice = make("voice")
    for made in (first, second, voice):
        delete(made)

    assert [i["sid"] for i in api.get(TRASH, {"Kind": "voice"}).json()["items"]] == [voice.sid]
    page = api.get(TRASH, {"Kind": "video", "PageSize": 1}).json()
    assert page["meta"]["key"] == "items" and page["meta"]["page_size"] == 1
    following = api.get(
        urlsplit(page["meta"]["next_page_url"])._replace(scheme="", netloc="").geturl()
    )
    seen = [page["items"][0]["sid"], following.json()["items"][0]["sid"]]
    assert sorted(seen) == sorted([first.sid, second.sid])
    assert following.json()["meta"]["next_page_url"] is None
    assert len(api.get(TRASH).json()["items"]) == 3


def test_a_bad_kind_is_refused(api, trash_on):
    body = assert_twilio_error(api.get(TRASH, {"Kind": "fax"}), 400, 20001)
    assert "Kind" in body["message"]


def test_the_schema_documents_the_trash(api, client):
    response = client.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {
        "/roomvault/v1/Trash",
        "/roomvault/v1/Trash/{sid}",
        "/roomvault/v1/Trash/{sid}/Restore",
        "/roomvault/v1/TrashSettings",
    } <= set(paths)
    assert paths["/roomvault/v1/Trash/{sid}/Restore"]["post"]["operationId"] == "CreateTrashRestore"
