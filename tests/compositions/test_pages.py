"""The Compositions console pages through HTTP as a signed-in user: the Logs (filters, paging,
bulk delete), a composition's details and media, composing a room from its page, and the hooks.

Each page goes through the roles (a viewer cannot compose or delete, a member cannot manage
hooks) and account isolation (another account's composition or hook is a 404). Compositions are
made by the real worker run (Celery is eager in tests) and their files decoded with PyAV.
"""

import csv
import html
import io
import json
import re
from datetime import timedelta
from urllib.parse import urlsplit

import av
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from console.services import SYSTEM
from recordings.compositions import services
from recordings.compositions.choices import CompositionStatus
from recordings.compositions.layout import default_grid_layout
from recordings.compositions.media import media_store_for
from recordings.compositions.models import Composition, CompositionHook
from recordings.compositions.spec import spec_clean
from recordings.devtools.simulator import simulate_room
from recordings.lifecycle.models import BulkDeletion
from recordings.video.models import Track
from tests.helpers import form_data

pytestmark = pytest.mark.django_db

ROW_SID = re.compile(r'<a href="/compositions/(CJ[0-9a-f]{32})/">')
ROLES = ("viewer", "member", "admin", "owner")


def grid_spec(fmt: str = "mp4", resolution: str = "320x240"):
    return spec_clean(
        video_layout=default_grid_layout(), audio_sources=["*"], resolution=resolution, format=fmt
    )


@pytest.fixture
def room(account):
    """An ended Group Room where alice (camera and screen) and bob published for 2 seconds."""
    room, _ = simulate_room(
        account=account,
        identities=["alice", "bob"],
        screen=["alice"],
        seconds=2,
        unique_name="standup",
    )
    return room


@pytest.fixture
def composed(room, django_capture_on_commit_callbacks):
    """A completed mp4 composition of the room (made by the eager worker task)."""
    with django_capture_on_commit_callbacks(execute=True):
        composition = services.composition_create(room=room, spec=grid_spec(), actor=SYSTEM)
    composition.refresh_from_db()
    assert composition.status == CompositionStatus.COMPLETED, composition.error_message
    return composition


def page(response) -> str:
    assert response.status_code == 200, response.content[:800]
    return response.content.decode()


def rows_of(response) -> list[str]:
    return ROW_SID.findall(page(response))


def decoded(data: bytes) -> tuple[float, int, set[str]]:
    """Return a file's duration, its video frames and its codecs, decoded with PyAV."""
    with av.open(io.BytesIO(data)) as container:
        codecs = {s.codec_context.name for s in container.streams}
        duration = container.duration / av.time_base
        frames = sum(1 for _ in container.decode(video=0)) if container.streams.video else 0
    return duration, frames, codecs


def stored(composition: Composition) -> bytes:
    composition.refresh_from_db()
    assert composition.status == CompositionStatus.COMPLETED, composition.error_message
    with media_store_for(composition).open(composition.media_key) as media:
        return media.read()


def body_of(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def local(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def queued(room, n: int = 1, **spec) -> list[Composition]:
    """Create ``n`` compositions of the room left enqueued (their task is never run)."""
    return [
        services.composition_create(room=room, spec=grid_spec(**spec), actor=SYSTEM)
        for _ in range(n)
    ]


# --- Logs ---------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in(client, composed):
    for url in (
        reverse("compositions:list"),
        reverse("compositions:detail", args=[composed.sid]),
        reverse("compositions:hooks"),
    ):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.parametrize("role", ROLES)
def test_every_role_sees_the_logs_with_room_status_format_and_size(console_client, composed, role):
    text = page(console_client(role).get(reverse("compositions:list")))

    assert rows_of(console_client(role).get(reverse("compositions:list"))) == [composed.sid]
    assert f'href="/rooms/{composed.room_id}/">standup</a>' in text
    assert '<span class="status-completed">Completed</span>' in text
    assert '<td data-label="Format">MP4</td>' in text
    assert '<td data-label="Resolution">320x240</td>' in text
    assert f'title="{composed.size} bytes"' in text
    assert "1 composition matches." in text
    assert ('name="sid" value="' + composed.sid in text) == (role in ("admin", "owner"))


def test_logs_show_the_progress_of_a_composition_being_made(console_client, room):
    (composition,) = queued(room)
    Composition.objects.filter(pk=composition.pk).update(status="processing", progress=42)

    text = page(console_client("viewer").get(reverse("compositions:list")))

    assert f'<progress max="100" value="42" aria-label="Progress of {composition.sid}">' in text


def test_logs_filters_mean_what_the_api_means(console_client, api, account, room, composed):
    other, _ = simulate_room(account=account, identities=["carol"], seconds=1, unique_name="other")
    webm = queued(other, fmt="webm")[0]
    mp4_queued = queued(room)[0]
    client = console_client("viewer")
    cases = [
        ({"room": room.sid}, {"RoomSid": room.sid}, {composed.sid, mp4_queued.sid}),
        ({"room": "other"}, None, {webm.sid}),
        ({"status": "enqueued"}, {"Status": "enqueued"}, {webm.sid, mp4_queued.sid}),
        ({"status": "completed"}, {"Status": "completed"}, {composed.sid}),
        ({"format": "webm"}, None, {webm.sid}),
        ({"sid": composed.sid}, None, {composed.sid}),
        (
            {"date_from": (timezone.now() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")},
            None,
            set(),
        ),
    ]
    for query, api_query, expected in cases:
        assert set(rows_of(client.get(reverse("compositions:list"), query))) == expected, query
        if api_query is not None:
            response = api.get("/v1/Compositions", api_query)
            assert {c["sid"] for c in response.json()["compositions"]} == expected, api_query


def test_a_bad_filter_is_shown_on_the_form(console_client, composed):
    text = page(console_client("viewer").get(reverse("compositions:list"), {"sid": "RT123"}))
    assert "A composition SID is CJ followed by 32 hex digits." in text
    assert composed.sid not in text


def test_logs_page_by_keyset_both_ways(console_client, room):
    compositions = queued(room, 27)
    newest_first = [c.sid for c in sorted(compositions, key=lambda c: (c.date_created, c.sid))][
        ::-1
    ]
    client = console_client("viewer")

    first = client.get(reverse("compositions:list"), {"page_size": 25})
    assert rows_of(first) == newest_first[:25]
    assert "27 compositions match." in page(first)
    older = re.search(r'href="([^"]+)" rel="next"', page(first))[1]
    second = client.get(html.unescape(older))
    assert rows_of(second) == newest_first[25:]
    newer = re.search(r'href="([^"]+)" rel="prev"', page(second))[1]
    assert rows_of(client.get(html.unescape(newer))) == newest_first[:25]


def test_csv_export_lists_the_filtered_compositions(console_client, room, composed):
    queued(room, fmt="webm")
    response = console_client("member").get(reverse("compositions:export"), {"format": "mp4"})

    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(body_of(response).decode())))
    assert [(r["sid"], r["room_name"], r["status"], r["format"]) for r in rows] == [
        (composed.sid, "standup", "completed", "mp4")
    ]
    assert rows[0]["size"] == str(composed.size)


def test_a_viewer_cannot_export(console_client, composed):
    assert console_client("viewer").get(reverse("compositions:export")).status_code == 403


def test_bulk_delete_of_all_matching_deletes_the_completed_ones(
    console_client, room, composed, django_capture_on_commit_callbacks
):
    (enqueued,) = queued(room)
    store, key = media_store_for(composed), composed.media_key
    client = console_client("admin")
    logs = page(client.get(reverse("compositions:list"), {"room": room.sid}))

    selection = form_data(logs, reverse("bulk:select"), form_id="bulk-all")
    assert selection["product"] == ["composition"] and selection["query"] == [f"room={room.sid}"]
    confirm = client.post(reverse("bulk:select"), selection)
    # What is still being made is counted here, and skipped when its turn comes.
    assert "This deletes <strong>2</strong> compositions" in page(confirm)
    assert composed.sid in page(confirm) and enqueued.sid in page(confirm)
    with django_capture_on_commit_callbacks(execute=True):
        created = client.post(
            reverse("bulk:create"), form_data(page(confirm), reverse("bulk:create"))
        )

    job = BulkDeletion.objects.get()
    assert created["Location"] == reverse("bulk:progress", args=[job.pk])
    assert (job.product, job.status, job.done, job.skipped) == ("composition", "done", 1, 1)
    progress = page(client.get(created["Location"]))
    assert "1 composition deleted, 1 skipped because still processing" in progress
    assert f'href="{reverse("compositions:list")}">Compositions</a>' in progress
    composed.refresh_from_db()
    enqueued.refresh_from_db()
    assert (composed.status, enqueued.status) == ("deleted", "enqueued")
    assert not store.exists(key)


def test_bulk_delete_of_checked_rows_refuses_a_member(console_client, composed):
    response = console_client("member").post(
        reverse("bulk:select"), {"product": "composition", "sid": [composed.sid]}
    )
    assert response.status_code == 403


# --- details, media, delete --------------------------------------------------------------------


def test_details_show_fields_layout_and_a_player_of_the_signed_media(console_client, composed):
    client = console_client("member")
    text = page(client.get(reverse("compositions:detail", args=[composed.sid])))

    media_url = reverse("compositions:media", args=[composed.sid])
    assert f'<video class="player" controls preload="metadata" src="{media_url}"' in text
    assert f'href="{media_url}?download=1" download' in text
    layout = re.search(r'<pre class="json" id="layout-json"[^>]*>(.*?)</pre>', text, re.S)[1]
    assert json.loads(html.unescape(layout)) == composed.video_layout
    api_json = re.search(r'<pre class="json" id="api-json">(.*?)</pre>', text, re.S)[1]
    assert json.loads(html.unescape(api_json))["sid"] == composed.sid
    assert "Delete this composition" not in text  # a member may not delete


@pytest.mark.parametrize(("query", "kind"), [({}, "inline"), ({"download": "1"}, "attachment")])
def test_media_redirects_to_a_signed_url_of_a_playable_file(console_client, composed, query, kind):
    client = console_client("member")
    response = client.get(reverse("compositions:media", args=[composed.sid]), query)

    assert response.status_code == 302
    served = client.get(local(response["Location"]))
    assert served.status_code == 200
    assert served["Content-Type"] == "video/mp4"
    assert served["Content-Disposition"] == f'{kind}; filename="{composed.sid}.mp4"'
    duration, frames, codecs = decoded(body_of(served))
    assert codecs == {"h264", "aac"} and duration == pytest.approx(2.0, abs=0.25) and frames >= 40


def test_a_viewer_sees_no_player_and_cannot_fetch_media(console_client, composed):
    client = console_client("viewer")
    text = page(client.get(reverse("compositions:detail", args=[composed.sid])))
    assert "<video" not in text
    assert "Your role can see compositions but not play or download them." in text
    assert client.get(reverse("compositions:media", args=[composed.sid])).status_code == 403


def test_a_failed_composition_shows_its_error(console_client, room):
    (composition,) = queued(room)
    Composition.objects.filter(pk=composition.pk).update(
        status="failed", error_message="The media could not be composed"
    )
    text = page(
        console_client("viewer").get(reverse("compositions:detail", args=[composition.sid]))
    )
    assert 'id="composition-error">The media could not be composed</dd>' in text
    assert "This composition failed, so there is no media to play." in text


def test_an_enqueued_composition_refreshes_and_cannot_be_deleted(console_client, room):
    (composition,) = queued(room)
    client = console_client("admin")
    text = page(client.get(reverse("compositions:detail", args=[composition.sid])))
    assert '<meta http-equiv="refresh" content="2">' in text
    assert "A composition can be deleted once it has completed or failed." in text

    response = client.post(reverse("compositions:delete", args=[composition.sid]), {"confirm": "1"})

    assert response["Location"] == reverse("compositions:detail", args=[composition.sid])
    shown = page(client.get(response["Location"]))
    assert f"Composition {composition.sid} is still enqueued and cannot be deleted yet" in shown
    composition.refresh_from_db()
    assert composition.status == "enqueued"


def test_an_admin_deletes_a_completed_composition(console_client, composed):
    client = console_client("admin")
    url = reverse("compositions:delete", args=[composed.sid])
    assert "Delete composition" in page(client.get(url))

    response = client.post(url, {"confirm": "1"})

    shown = page(client.get(response["Location"]))
    assert f"Composition {composed.sid} was deleted." in shown
    assert "This composition was deleted: its media has been removed." in shown
    composed.refresh_from_db()
    assert composed.status == "deleted"


@pytest.mark.parametrize("role", ["viewer", "member"])
def test_viewers_and_members_cannot_delete(console_client, composed, role):
    response = console_client(role).post(
        reverse("compositions:delete", args=[composed.sid]), {"confirm": "1"}
    )
    assert response.status_code == 403
    composed.refresh_from_db()
    assert composed.status == "completed"


def test_another_accounts_composition_is_not_found(console_client, other_account, composed):
    client = console_client("owner", in_account=other_account)
    for name in ("detail", "media", "delete"):
        assert client.get(reverse(f"compositions:{name}", args=[composed.sid])).status_code == 404
    assert rows_of(client.get(reverse("compositions:list"))) == []


# --- the room page: compose --------------------------------------------------------------------


def compose(client, room, capture, **data):
    with capture(execute=True):
        return client.post(
            reverse("compositions:compose", args=[room.sid]),
            {"preset": "grid", "resolution": "320x240", "format": "mp4", **data},
        )


def test_a_member_composes_a_room_in_a_grid_from_its_page(
    console_client, room, django_capture_on_commit_callbacks
):
    client = console_client("member")
    text = page(client.get(reverse("rooms:detail", args=[room.sid])))
    assert "Compose this room" in text
    assert '<option value="alice">alice</option>' in text

    response = compose(client, room, django_capture_on_commit_callbacks)

    assert response["Location"] == reverse("rooms:detail", args=[room.sid])
    composition = Composition.objects.get()
    shown = page(client.get(response["Location"]))
    assert f"Composition {composition.sid} was queued." in shown
    assert f'href="/compositions/{composition.sid}/"' in shown
    duration, frames, codecs = decoded(stored(composition))
    assert codecs == {"h264", "aac"} and duration == pytest.approx(2.0, abs=0.25)
    assert composition.resolution == "320x240" and frames >= 40


def test_speaker_and_screen_presets_feature_the_chosen_participants_tracks(
    console_client, room, django_capture_on_commit_callbacks
):
    client = console_client("member")
    alice_video = set(
        Track.objects.filter(room=room, participant__identity="alice", kind="video").values_list(
            "sid", flat=True
        )
    )
    compose(client, room, django_capture_on_commit_callbacks, preset="speaker", participant="alice")
    compose(client, room, django_capture_on_commit_callbacks, preset="screen", participant="alice")

    speaker, screen = Composition.objects.order_by("date_created", "sid")
    assert set(speaker.video_layout["speaker"]["video_sources"]) == alice_video
    assert set(speaker.video_layout["strip"]["video_sources_excluded"]) == alice_video
    assert screen.video_layout["screen"]["video_sources"] == ["screen*"]
    assert set(screen.video_layout["presenter"]["video_sources"]) == alice_video
    for composition in (speaker, screen):
        assert decoded(stored(composition))[1] >= 40


def test_an_audio_only_composition_has_no_video_and_plays_in_the_video_player(
    console_client, room, django_capture_on_commit_callbacks
):
    client = console_client("member")
    compose(client, room, django_capture_on_commit_callbacks, preset="audio", format="webm")

    composition = Composition.objects.get()
    assert composition.video_layout == {}
    duration, frames, codecs = decoded(stored(composition))
    assert codecs == {"opus"} and frames == 0 and duration == pytest.approx(2.0, abs=0.25)
    text = page(client.get(reverse("compositions:detail", args=[composition.sid])))
    assert "<video" in text and "this composition is audio only" in text


def test_speaker_without_a_participant_is_an_error_on_the_form(console_client, room):
    response = console_client("member").post(
        reverse("compositions:compose", args=[room.sid]),
        {"preset": "speaker", "resolution": "320x240", "format": "mp4"},
    )
    assert response.status_code == 400
    assert "Choose whom this layout features." in response.content.decode()
    assert not Composition.objects.exists()


def test_a_room_in_progress_cannot_be_composed(console_client, account):
    live, _ = simulate_room(account=account, identities=["dan"], keep_open=True, unique_name="live")
    client = console_client("member")
    assert "Only an ended Group Room can be composed." in page(
        client.get(reverse("rooms:detail", args=[live.sid]))
    )

    response = client.post(
        reverse("compositions:compose", args=[live.sid]),
        {"preset": "grid", "resolution": "320x240", "format": "mp4"},
    )

    assert response.status_code == 400
    assert "a room is composed once it has ended" in response.content.decode()
    assert not Composition.objects.exists()


def test_a_viewer_cannot_compose(console_client, room):
    client = console_client("viewer")
    assert "Compose this room" not in page(client.get(reverse("rooms:detail", args=[room.sid])))
    response = client.post(
        reverse("compositions:compose", args=[room.sid]),
        {"preset": "grid", "resolution": "320x240", "format": "mp4"},
    )
    assert response.status_code == 403 and not Composition.objects.exists()


def test_another_accounts_room_cannot_be_composed(console_client, other_account, room):
    response = console_client("owner", in_account=other_account).post(
        reverse("compositions:compose", args=[room.sid]),
        {"preset": "grid", "resolution": "320x240", "format": "mp4"},
    )
    assert response.status_code == 404 and not Composition.objects.exists()


def test_the_room_page_refreshes_while_a_composition_is_in_flight(console_client, room):
    (composition,) = queued(room)
    Composition.objects.filter(pk=composition.pk).update(status="processing", progress=30)
    text = page(console_client("viewer").get(reverse("rooms:detail", args=[room.sid])))
    assert '<meta http-equiv="refresh" content="2">' in text
    assert f'<progress max="100" value="30" aria-label="Progress of {composition.sid}">' in text


def test_a_room_page_without_compositions_does_not_refresh(console_client, room):
    text = page(console_client("viewer").get(reverse("rooms:detail", args=[room.sid])))
    assert "http-equiv" not in text and "This room has not been composed." in text


# --- hooks ---------------------------------------------------------------------------------------


def hook_post(client, url=None, **data):
    """Post the hook form as a browser would (its fields as the page fills them), changed."""
    url = url or reverse("compositions:hooks")
    fields = form_data(page(client.get(url)), url)
    return client.post(
        url,
        {
            **fields,
            "friendly_name": "every room",
            "enabled": "on",
            "preset": "grid",
            "audio_sources": "*",
            "resolution": "640x480",
            "format": "webm",
            **data,
        },
    )


def test_editing_a_hook_keeps_what_the_api_gave_it(console_client, account):
    hook = services.hook_create(
        account=account,
        friendly_name="api hook",
        enabled=True,
        spec=spec_clean(
            audio_sources=["*"],
            audio_sources_excluded=["bot*"],
            trim=False,
            status_callback="http://127.0.0.1:9/hooks",
            status_callback_method="GET",
        ),
        actor=SYSTEM,
    )
    client = console_client("admin")
    url = reverse("compositions:hook-edit", args=[hook.sid])

    response = client.post(url, form_data(page(client.get(url)), url))

    assert response.status_code == 302, response.content
    hook.refresh_from_db()
    assert (hook.status_callback, hook.status_callback_method) == (
        "http://127.0.0.1:9/hooks",
        "GET",
    )
    assert (hook.audio_sources_excluded, hook.trim) == (["bot*"], False)


@pytest.mark.parametrize(("role", "status"), [("viewer", 403), ("member", 403), ("admin", 200)])
def test_only_admins_manage_hooks(console_client, role, status):
    assert console_client(role).get(reverse("compositions:hooks")).status_code == status


def test_an_admin_creates_edits_disables_and_deletes_a_hook(console_client, account):
    client = console_client("admin")

    created = hook_post(client)
    assert created["Location"] == reverse("compositions:hooks")
    hook = CompositionHook.objects.get(account=account)
    assert (hook.friendly_name, hook.enabled, hook.format, hook.audio_sources) == (
        "every room",
        True,
        "webm",
        ["*"],
    )
    assert hook.video_layout["grid"]["video_sources"] == ["*"]
    assert "Composition hook every room was created." in page(client.get(created["Location"]))

    edit_url = reverse("compositions:hook-edit", args=[hook.sid])
    form = page(client.get(edit_url))
    assert "&quot;grid&quot;" in form and 'value="every room"' in form
    layout = json.dumps({"main": {"video_sources": ["alice*"]}})
    saved = hook_post(
        client,
        edit_url,
        friendly_name="alice only",
        preset="custom",
        video_layout=layout,
        format="mp4",
    )
    assert saved["Location"] == reverse("compositions:hooks")
    hook.refresh_from_db()
    assert (hook.friendly_name, hook.format) == ("alice only", "mp4")
    assert hook.video_layout["main"]["video_sources"] == ["alice*"]

    client.post(reverse("compositions:hook-toggle", args=[hook.sid]), {"enabled": "0"})
    hook.refresh_from_db()
    assert hook.enabled is False
    assert "Enable alice only" in page(client.get(reverse("compositions:hooks")))

    delete_url = reverse("compositions:hook-delete", args=[hook.sid])
    assert "Delete hook alice only" in page(client.get(delete_url))
    client.post(delete_url, {"confirm": "1"})
    assert not CompositionHook.objects.exists()


def test_a_hook_name_in_use_is_an_error_on_its_field(console_client, account):
    client = console_client("admin")
    hook_post(client)

    response = hook_post(client)

    assert response.status_code == 400
    assert "A composition hook named &#x27;every room&#x27; exists in this account" in (
        response.content.decode()
    )
    assert CompositionHook.objects.count() == 1


def test_a_bad_layout_is_an_error_on_the_hook_form(console_client):
    response = hook_post(console_client("admin"), preset="custom", video_layout="[not json")
    assert response.status_code == 400
    assert "Invalid VideoLayout: is not a JSON object" in response.content.decode()
    assert not CompositionHook.objects.exists()


def test_another_accounts_hook_is_not_found(console_client, other_account):
    hook_post(console_client("admin"))
    hook = CompositionHook.objects.get()
    client = console_client("owner", in_account=other_account)
    assert client.get(reverse("compositions:hook-edit", args=[hook.sid])).status_code == 404
    assert (
        client.post(
            reverse("compositions:hook-delete", args=[hook.sid]), {"confirm": "1"}
        ).status_code
        == 404
    )
    assert CompositionHook.objects.exists()


# --- navigation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "hooks_link"), [("viewer", False), ("admin", True)])
def test_the_nav_links_compositions_and_for_admins_their_hooks(console_client, role, hooks_link):
    text = page(console_client(role).get(reverse("home")))
    assert f'<a href="{reverse("compositions:list")}">Compositions</a>' in text
    assert (
        f'<a href="{reverse("compositions:hooks")}">Composition hooks</a>' in text
    ) == hooks_link


def test_the_room_and_logs_pages_queries_do_not_grow_with_compositions(console_client, room):
    client = console_client("member")

    def counted(url: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    urls = (reverse("rooms:detail", args=[room.sid]), reverse("compositions:list"))
    queued(room)
    counted(urls[0])  # the room player's first visit makes the playback renditions
    before = [counted(url) for url in urls]
    queued(room, 4)
    assert [counted(url) for url in urls] == before
