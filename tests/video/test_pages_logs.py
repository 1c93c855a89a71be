"""Recordings Logs and Recording details pages, through HTTP as a signed-in console user.

Every filter is checked against /v1/Recordings with the same meaning (STYLE rule 4); paging is
walked both ways through ties; each view goes through the role matrix and account isolation.
"""

import csv
import html
import io
import json
import re
import socket
import types
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from django.http import HttpResponse
from django.urls import include, path, reverse

from console import selectors as console_selectors
from console import urls as root_urls
from recordings.lifecycle import selectors
from recordings.media import demo
from recordings.video import services
from recordings.video.choices import Codec, MediaType, RecordingStatus
from recordings.video.models import Recording
from tests.factories import ParticipantFactory, RecordingFactory, RoomFactory, TrackFactory

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
MEDIA = b"\x1aE\xdf\xa3" + bytes(range(256)) * 40 + b"THE END"
ROW_SID = re.compile(r'<a href="/recordings/(RT[0-9a-f]{32})/">')
ROLES = ("viewer", "member", "admin", "owner")
# Queries of one list page, whatever its size: session, user, membership, the page of rows
# (room and participant joined), the capped count, and the layout's two reads of memberships.
LIST_QUERIES = 7
# A detail page: the list page's fixed reads, the recording, its room, its participant, its
# callback deliveries and (one query for all of them) their attempts, the account's active legal
# holds (one more for each that covers its kind); no count.
DETAIL_QUERIES = 11


def list_order(recordings) -> list[str]:
    return [r.sid for r in sorted(recordings, key=lambda r: (r.date_created, r.sid), reverse=True)]


def rows_of(response) -> list[str]:
    assert response.status_code == 200, response.content[:500]
    return ROW_SID.findall(response.content.decode())


def link(response, rel: str) -> str | None:
    match = re.search(rf'href="([^"]+)" rel="{rel}"', response.content.decode())
    return html.unescape(match.group(1)) if match else None


def api_sids(api, params) -> list[str]:
    response = api.get("/v1/Recordings", {**params, "PageSize": 1000})
    assert response.status_code == 200, response.content
    return [r["sid"] for r in response.json()["recordings"]]


def body_of(response) -> bytes:
    assert response.streaming
    return b"".join(response.streaming_content)


def closed_port_url() -> str:
    """A URL nothing listens on: a callback attempt to it fails at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/callbacks"


@pytest.fixture
def logs(account):
    """Two rooms, three participants, every status, audio and video, and two date ties."""
    alpha = RoomFactory(account=account, unique_name="alpha", status_callback=closed_port_url())
    beta = RoomFactory(account=account, unique_name="beta")
    alice = ParticipantFactory(room=alpha, identity="alice")
    bob = ParticipantFactory(room=alpha, identity="bob")
    carol = ParticipantFactory(room=beta, identity="carol")
    t = types.SimpleNamespace(
        alice_mic=TrackFactory(participant=alice, kind=MediaType.AUDIO, name="alice-mic"),
        alice_cam=TrackFactory(participant=alice, kind=MediaType.VIDEO, name="alice-cam"),
        bob_mic=TrackFactory(participant=bob, kind=MediaType.AUDIO, name="bob-mic"),
        screen=TrackFactory(participant=bob, kind=MediaType.VIDEO, name="screen", codec=Codec.H264),
        carol_mic=TrackFactory(participant=carol, kind=MediaType.AUDIO, name="carol-mic"),
        carol_cam=TrackFactory(participant=carol, kind=MediaType.VIDEO, name="carol-cam"),
    )

    def rec(track, status, minute, **kwargs):
        return RecordingFactory(
            track=track, status=status, date_created=T0 + timedelta(minutes=minute), **kwargs
        )

    done = RecordingStatus.COMPLETED
    return types.SimpleNamespace(
        alpha=alpha,
        beta=beta,
        alice=alice,
        bob=bob,
        carol=carol,
        t=t,
        r1=rec(t.alice_mic, done, 0, size=2048, duration=5),
        r2=rec(t.alice_cam, done, 0, size=3_500_000, duration=5),
        r3=rec(t.bob_mic, RecordingStatus.FAILED, 1),
        r4=rec(t.screen, RecordingStatus.PROCESSING, 2),
        r5=rec(
            t.carol_mic,
            RecordingStatus.DELETED,
            3,
            size=100,
            duration=1,
            date_deleted=T0 + timedelta(minutes=10),
        ),
        r6=rec(t.carol_cam, done, 4, size=900, duration=3),
        r7=rec(t.alice_mic, done, 4, size=1_234_567, duration=3725),
    )


def named(logs, *names) -> list[str]:
    return list_order([getattr(logs, n) for n in names])


# --- filters: each alone, the same rows as the API -------------------------------------------

# (console query, API query or None where the API has no such filter, expected recordings)
FILTERS = {
    "none": (lambda d: {}, lambda d: {}, ("r1", "r2", "r3", "r4", "r6", "r7")),
    "status completed": (
        lambda d: {"status": "completed"},
        lambda d: {"Status": "completed"},
        ("r1", "r2", "r6", "r7"),
    ),
    "status processing": (
        lambda d: {"status": "processing"},
        lambda d: {"Status": "processing"},
        ("r4",),
    ),
    "status failed": (lambda d: {"status": "failed"}, lambda d: {"Status": "failed"}, ("r3",)),
    "status deleted": (lambda d: {"status": "deleted"}, lambda d: {"Status": "deleted"}, ("r5",)),
    "status all": (
        lambda d: {"status": "all"},
        None,
        ("r1", "r2", "r3", "r4", "r5", "r6", "r7"),
    ),
    "type video": (
        lambda d: {"type": "video"},
        lambda d: {"MediaType": "video"},
        ("r2", "r4", "r6"),
    ),
    "type audio": (
        lambda d: {"type": "audio"},
        lambda d: {"MediaType": "audio"},
        ("r1", "r3", "r7"),
    ),
    "codec H264": (lambda d: {"codec": "H264"}, None, ("r4",)),
    "codec VP8": (lambda d: {"codec": "VP8"}, None, ("r2", "r6")),
    "room by name": (
        lambda d: {"room": "alpha"},
        lambda d: {"GroupingSid": d.alpha.sid},
        ("r1", "r2", "r3", "r4", "r7"),
    ),
    "room by SID": (
        lambda d: {"room": d.beta.sid},
        lambda d: {"GroupingSid": d.beta.sid},
        ("r6",),
    ),
    "participant by identity": (
        lambda d: {"participant": "bob"},
        lambda d: {"GroupingSid": d.bob.sid},
        ("r3", "r4"),
    ),
    "participant by SID": (
        lambda d: {"participant": d.alice.sid},
        lambda d: {"GroupingSid": d.alice.sid},
        ("r1", "r2", "r7"),
    ),
    "track name": (
        lambda d: {"track": "alice-mic"},
        lambda d: {"SourceSid": d.t.alice_mic.sid},
        ("r1", "r7"),
    ),
    "created from": (
        lambda d: {"date_from": "2026-03-01T12:01"},
        lambda d: {"DateCreatedAfter": "2026-03-01T12:01:00Z"},
        ("r3", "r4", "r6", "r7"),
    ),
    "created before": (
        lambda d: {"date_to": "2026-03-01T12:04"},
        lambda d: {"DateCreatedBefore": "2026-03-01T12:04:00Z"},
        ("r1", "r2", "r3", "r4"),
    ),
    "several at once": (
        lambda d: {"room": d.alpha.sid, "type": "audio", "status": "completed"},
        lambda d: {"GroupingSid": d.alpha.sid, "MediaType": "audio", "Status": "completed"},
        ("r1", "r7"),
    ),
}


@pytest.mark.parametrize("name", FILTERS)
def test_each_filter_selects_the_same_rows_as_the_api(console_client, api, logs, name):
    console_query, api_query, expected = FILTERS[name]
    rows = rows_of(console_client("viewer").get(reverse("recordings:list"), console_query(logs)))
    assert rows == named(logs, *expected)
    if api_query is not None:
        assert rows == api_sids(api, api_query(logs))


def test_recording_sid_filter_shows_just_that_recording(console_client, api, logs):
    client = console_client("viewer")
    rows = rows_of(client.get(reverse("recordings:list"), {"sid": logs.r3.sid}))
    assert rows == [logs.r3.sid] == [api.get(f"/v1/Recordings/{logs.r3.sid}").json()["sid"]]
    upper = rows_of(client.get(reverse("recordings:list"), {"sid": "RT" + logs.r3.sid[2:].upper()}))
    assert upper == [logs.r3.sid]


def test_recording_sid_filter_of_another_account_is_an_empty_state(
    console_client, logs, other_account
):
    foreign = RecordingFactory(track__participant__room__account=other_account)
    response = console_client("viewer").get(reverse("recordings:list"), {"sid": foreign.sid})
    assert rows_of(response) == []
    assert "No recording matches these filters" in response.content.decode()


def test_a_malformed_filter_shows_the_error_not_a_500(console_client, logs):
    response = console_client("viewer").get(
        reverse("recordings:list"), {"sid": "RTnothex", "date_from": "yesterday"}
    )
    page = response.content.decode()
    assert rows_of(response) == []
    assert "A recording SID is RT followed by 32 hex digits." in page
    assert "These filters cannot be applied" in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("room", "PA" + "a" * 32, "A room SID is RM followed by 32 hex digits."),
        ("participant", "RM" + "a" * 32, "A participant SID is PA followed by 32 hex digits."),
    ],
)
def test_a_sid_of_the_wrong_kind_is_a_field_error_not_a_silent_filter(
    console_client, logs, field, value, message
):
    response = console_client("viewer").get(reverse("recordings:list"), {field: value})
    page = response.content.decode()
    assert rows_of(response) == []
    assert message in page
    assert "These filters cannot be applied" in page


def test_room_and_participant_sids_are_taken_in_either_case(console_client, logs):
    room = logs.r3.room_id
    upper = console_client("viewer").get(reverse("recordings:list"), {"room": room.upper()})
    assert logs.r3.sid in rows_of(upper)


def test_filters_stay_in_the_form(console_client, logs):
    page = (
        console_client("viewer")
        .get(reverse("recordings:list"), {"room": "alpha", "codec": "VP8", "page_size": "100"})
        .content.decode()
    )
    assert 'name="room" value="alpha"' in page
    assert re.search(r'<option value="VP8" selected>', page)
    assert re.search(r'<option value="100" selected>', page)


def test_page_size_defaults_to_50_selected(console_client, logs):
    page = console_client("viewer").get(reverse("recordings:list")).content.decode()
    assert re.search(r'<option value="50" selected>', page)


def test_columns_show_names_and_human_units(console_client, logs):
    page = console_client("viewer").get(reverse("recordings:list")).content.decode()
    for text in ("alpha", logs.alpha.sid, "alice", "alice-mic", "H264", "1.2 MiB", "1:02:05"):
        assert text in page, text
    assert '<span class="status-processing">Processing</span>' in page


# --- paging ------------------------------------------------------------------------------


@pytest.fixture
def sixty(account):
    """60 recordings of one track in ties of three (same date_created, order by SID)."""
    track = TrackFactory(participant__room__account=account)
    return [
        RecordingFactory(
            track=track,
            status=RecordingStatus.COMPLETED,
            date_created=T0 + timedelta(minutes=i // 3),
        )
        for i in range(60)
    ]


def test_paging_walks_forward_and_back_through_ties(console_client, api, sixty):
    client = console_client("viewer")
    url = reverse("recordings:list") + "?page_size=25&type=audio"
    pages, responses = [], []
    while url:
        response = client.get(url)
        pages.append(rows_of(response))
        responses.append(response)
        assert "page_size=25" in url and "type=audio" in url  # the filters are kept
        url = link(response, "next")
        assert len(pages) < 10
    assert [len(p) for p in pages] == [25, 25, 10]
    assert (
        [sid for p in pages for sid in p]
        == list_order(sixty)
        == api_sids(api, {"MediaType": "audio"})
    )
    assert link(responses[0], "prev") is None

    back, url = [pages[-1]], link(responses[-1], "prev")
    while url:
        response = client.get(url)
        back.append(rows_of(response))
        url = link(response, "prev")
        assert len(back) < 10
    assert back[::-1] == pages


def test_a_bad_page_token_shows_the_first_page_with_a_message(console_client, sixty):
    client = console_client("viewer")
    response = client.get(reverse("recordings:list"), {"token": "forged:token", "page_size": 25})
    assert rows_of(response) == list_order(sixty)[:25]
    assert "That page link is not valid: showing the first page." in response.content.decode()


@pytest.mark.parametrize("size", [25, 50, 100, 200])
def test_page_size_choice(console_client, sixty, size):
    response = console_client("viewer").get(reverse("recordings:list"), {"page_size": size})
    assert len(rows_of(response)) == min(size, 60)
    assert (link(response, "next") is not None) == (size < 60)


def test_page_size_outside_the_choices_is_a_form_error(console_client, sixty):
    response = console_client("viewer").get(reverse("recordings:list"), {"page_size": 1000})
    assert rows_of(response) == []
    assert "Select a valid choice" in response.content.decode()


def test_count_is_capped_and_never_counts_the_whole_table(
    console_client, sixty, monkeypatch, django_assert_max_num_queries
):
    from recordings.lifecycle.views import lists

    monkeypatch.setattr(lists, "COUNT_CAP", 40)
    client = console_client("viewer")
    page = client.get(reverse("recordings:list"), {"page_size": 25}).content.decode()
    assert "More than 40 recordings match" in page
    with django_assert_max_num_queries(LIST_QUERIES) as captured:
        client.get(reverse("recordings:list"), {"page_size": 25, "type": "audio"})
    (count,) = [q["sql"] for q in captured.captured_queries if "COUNT(" in q["sql"]]
    assert "LIMIT 41" in count
    page = client.get(reverse("recordings:list"), {"page_size": 200}).content.decode()
    assert "60 recordings match" in page


def test_list_query_count_does_not_grow_with_rows(
    console_client, account, sixty, django_assert_max_num_queries
):
    client = console_client("viewer")
    for size in (25, 200):
        with django_assert_max_num_queries(LIST_QUERIES):
            assert rows_of(client.get(reverse("recordings:list"), {"page_size": size}))
    response = client.get(reverse("recordings:list"), {"page_size": 25})
    with django_assert_max_num_queries(LIST_QUERIES):
        assert len(rows_of(client.get(link(response, "next")))) == 25


# --- empty states ---------------------------------------------------------------------------


def test_empty_state_without_any_recording_says_how_to_make_one(console_client, account):
    page = console_client("viewer").get(reverse("recordings:list")).content.decode()
    assert "No recordings yet." in page
    assert "RecordParticipantsOnConnect=true" in page
    assert "No recording matches" not in page


def test_empty_state_for_filters_says_what_to_change(console_client, logs):
    response = console_client("viewer").get(reverse("recordings:list"), {"participant": "zed"})
    page = response.content.decode()
    assert rows_of(response) == []
    assert "No recording matches these filters." in page
    assert "Clear all filters" in page
    assert "No recordings yet." not in page


# --- bulk selection form ---------------------------------------------------------------------


def _bulk_stub(request):
    return HttpResponse("bulk")


def _urlconf(with_bulk: bool) -> types.ModuleType:
    """The console's URLs with the bulk pages replaced by a stub ``bulk:select`` (or absent)."""
    conf = types.ModuleType(f"urls_bulk_{with_bulk}")
    patterns = [p for p in root_urls.urlpatterns if getattr(p, "namespace", None) != "bulk"]
    if with_bulk:
        bulk = ([path("select/", _bulk_stub, name="select")], "bulk")
        patterns.append(path("recordings/bulk/", include(bulk)))
    conf.urlpatterns = patterns
    return conf


@pytest.mark.parametrize("role", ROLES)
def test_bulk_form_needs_the_bulk_page_and_the_delete_role(console_client, logs, settings, role):
    settings.ROOT_URLCONF = _urlconf(with_bulk=True)
    page = console_client(role).get(reverse("recordings:list"), {"room": "alpha"}).content.decode()
    if role in ("viewer", "member"):
        assert 'type="checkbox"' not in page and "/recordings/bulk/select/" not in page
        return
    checked = re.findall(r'<input type="checkbox" name="sid" value="(RT[0-9a-f]{32})"', page)
    assert checked == named(logs, "r1", "r2", "r3", "r4", "r7")
    forms = re.findall(
        r'<form method="post" action="/recordings/bulk/select/".*?</form>', page, re.S
    )
    assert len(forms) == 2 and all("csrfmiddlewaretoken" in f for f in forms)
    assert 'name="sid"' in forms[0] and 'name="all"' not in forms[0]
    assert '<input type="hidden" name="all" value="1">' in forms[1]
    assert '<input type="hidden" name="query" value="room=alpha">' in forms[1]


def test_no_bulk_form_without_the_bulk_page(console_client, logs, settings):
    settings.ROOT_URLCONF = _urlconf(with_bulk=False)
    page = console_client("owner").get(reverse("recordings:list")).content.decode()
    assert rows_of_page(page)
    assert 'type="checkbox"' not in page


def rows_of_page(page: str) -> list[str]:
    return ROW_SID.findall(page)


# --- CSV export --------------------------------------------------------------------------------


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200, response
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="recordings-')
    return list(csv.reader(io.StringIO(body_of(response).decode())))


def test_csv_streams_the_filtered_set_in_list_order(console_client, logs):
    client = console_client("member")
    header, *rows = csv_rows(client.get(reverse("recordings:export"), {"type": "video"}))
    assert header[:3] == ["date_created", "sid", "room_sid"]
    assert [r[1] for r in rows] == named(logs, "r2", "r4", "r6")
    by_sid = {r[1]: dict(zip(header, r, strict=True)) for r in rows}
    assert by_sid[logs.r2.sid] == {
        "date_created": "2026-03-01T12:00:00Z",
        "sid": logs.r2.sid,
        "room_sid": logs.alpha.sid,
        "room_name": "alpha",
        "participant_sid": logs.alice.sid,
        "participant_identity": "alice",
        "track_name": "alice-cam",
        "type": "video",
        "codec": "VP8",
        "container_format": "mkv",
        "duration": "5",
        "size": "3500000",
        "status": "completed",
        "date_deleted": "",
    }


def test_csv_leaves_deleted_out_unless_asked(console_client, logs):
    client = console_client("member")
    _, *rows = csv_rows(client.get(reverse("recordings:export")))
    assert logs.r5.sid not in {r[1] for r in rows} and len(rows) == 6
    _, *rows = csv_rows(client.get(reverse("recordings:export"), {"status": "all"}))
    assert [r[1] for r in rows] == named(logs, "r1", "r2", "r3", "r4", "r5", "r6", "r7")
    _, *rows = csv_rows(client.get(reverse("recordings:export"), {"status": "deleted"}))
    assert [(r[1], r[-1]) for r in rows] == [(logs.r5.sid, "2026-03-01T12:10:00Z")]


def test_csv_of_a_big_set_is_not_paged(console_client, sixty):
    _, *rows = csv_rows(console_client("member").get(reverse("recordings:export")))
    assert [r[1] for r in rows] == list_order(sixty)


def test_csv_neutralises_spreadsheet_formulas(console_client, account):
    RecordingFactory(
        track__participant__room__account=account,
        track__participant__identity="=HYPERLINK(1)",
        status=RecordingStatus.COMPLETED,
    )
    header, row = csv_rows(console_client("member").get(reverse("recordings:export")))
    assert dict(zip(header, row, strict=True))["participant_identity"] == "'=HYPERLINK(1)"


def test_csv_with_bad_filters_goes_back_to_the_list(console_client, logs):
    response = console_client("member").get(reverse("recordings:export"), {"sid": "nope"})
    assert response.status_code == 302
    assert response["Location"] == reverse("recordings:list") + "?sid=nope"


# --- details --------------------------------------------------------------------------------


def detail(client, recording):
    response = client.get(reverse("recordings:detail", args=[recording.sid]))
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


def test_detail_shows_every_api_field_and_the_api_json(console_client, api, logs):
    page = detail(console_client("viewer"), logs.r7)
    from_api = api.get(f"/v1/Recordings/{logs.r7.sid}").json()
    shown = json.loads(html.unescape(re.search(r'id="api-json">(.*?)</pre>', page, re.S)[1]))
    assert shown == from_api
    fields = re.search(r'id="api-fields">(.*?)</dl>', page, re.S)[1]
    assert re.findall(r"<dt>(\w+)</dt>", fields) == list(from_api)
    for text in ("alpha", "alice", logs.alice.sid, "alice-mic", "1.2 MiB", "1:02:05"):
        assert text in page, text


def test_detail_links_the_room_when_the_rooms_page_exists(console_client, logs):
    page = detail(console_client("viewer"), logs.r1)
    try:
        room_url = reverse("rooms:detail", args=[logs.alpha.sid])
    except Exception:  # the rooms pages are another page group's
        assert '<a href="/rooms/' not in page
    else:
        assert f'<a href="{room_url}">alpha</a>' in page


@pytest.mark.parametrize(
    ("kind", "element"), [(MediaType.AUDIO, "audio"), (MediaType.VIDEO, "video")]
)
def test_detail_plays_completed_media_by_type(
    console_client, make_completed_recording, kind, element
):
    media = demo.opus_mka(1) if kind == MediaType.AUDIO else demo.vp8_mkv(1)
    rec = make_completed_recording(media=media, track__kind=kind)
    page = detail(console_client("member"), rec)
    media_url = reverse("recordings:media", args=[rec.sid])
    assert f'<{element} class="player" controls preload="metadata"' in page
    playback_url = reverse("recordings:playback", args=[rec.sid])
    assert f'<source src="{playback_url}" type="{kind}/webm">' in page
    assert f'href="{media_url}?download=1"' in page
    assert "<video" not in page if element == "audio" else "<audio" not in page


def test_detail_has_no_player_for_a_viewer(console_client, make_completed_recording):
    rec = make_completed_recording(media=MEDIA)
    page = detail(console_client("viewer"), rec)
    assert "<audio" not in page and "/media" not in page.replace("/media/", "")
    assert "not play or download" in page
    assert "Delete this recording" not in page


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("r4", "still processing"),
        ("r3", "failed, so there is no media"),
        ("r5", "was deleted: its media has been removed"),
    ],
)
def test_detail_says_why_there_is_no_player(console_client, logs, name, reason):
    page = detail(console_client("owner"), getattr(logs, name))
    assert "<audio" not in page and "<video" not in page and "?download=1" not in page
    assert reason in page


def test_detail_of_a_deleted_recording_shows_its_purge_date(console_client, logs, settings):
    page = detail(console_client("viewer"), logs.r5)
    assert re.search(
        r'id="purge-date"><time datetime="2026-03-31T12:10:00\+00:00">2026-03-31<', page
    )
    settings.RECORDING_RETENTION_DAYS = 7
    assert ">2026-03-08</time>" in detail(console_client("viewer"), logs.r5)
    assert 'id="purge-date"' not in detail(console_client("viewer"), logs.r1)


def test_detail_lists_callback_deliveries_and_their_attempts(console_client, logs):
    services.callback_enqueue(
        room=logs.alpha, event="recording-completed", params={}, recording_sid=logs.r1.sid
    )
    services.callback_enqueue(
        room=logs.alpha, event="recording-started", params={}, recording_sid=logs.r7.sid
    )
    (delivery,) = selectors.callback_deliveries_for(
        account=logs.alpha.account, recording_sid=logs.r1.sid
    )
    for _ in range(2):
        with pytest.raises(services.CallbackFailed):
            services.callback_attempt(delivery_id=delivery.pk)
    page = detail(console_client("viewer"), logs.r1)
    assert "recording-completed" in page and "recording-started" not in page
    assert page.count("<td>ConnectionError") == 2
    assert re.search(r"<td>1</td>.*<td>2</td>", page, re.S)
    assert 'id="no-callbacks"' in detail(console_client("viewer"), logs.r6)


def test_detail_query_count_is_constant(console_client, logs, django_assert_max_num_queries):
    for _ in range(3):
        services.callback_enqueue(
            room=logs.alpha, event="recording-completed", params={}, recording_sid=logs.r1.sid
        )
    client = console_client("viewer")
    with django_assert_max_num_queries(DETAIL_QUERIES):
        detail(client, logs.r1)


# --- media ------------------------------------------------------------------------------------


def local(url: str) -> str:
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc) == ("http", "testserver"), url
    return parts.path


@pytest.mark.parametrize(("query", "kind"), [({}, "inline"), ({"download": "1"}, "attachment")])
def test_media_redirects_to_a_signed_url_that_seeks(
    console_client, make_completed_recording, query, kind
):
    rec = make_completed_recording(media=MEDIA)
    client = console_client("member")
    response = client.get(reverse("recordings:media", args=[rec.sid]), query)
    assert response.status_code == 302
    target = local(response["Location"])
    assert target.startswith("/media/") and rec.sid not in target
    whole = client.get(target)
    assert whole.status_code == 200 and body_of(whole) == MEDIA
    assert whole["Content-Disposition"] == f'{kind}; filename="{rec.sid}.mka"'
    assert whole["Content-Type"] == "audio/x-matroska"
    part = client.get(target, HTTP_RANGE="bytes=100-199")
    assert part.status_code == 206
    assert part["Content-Range"] == f"bytes 100-199/{len(MEDIA)}"
    assert body_of(part) == MEDIA[100:200]


def test_media_of_a_recording_without_media_is_404(console_client, logs):
    client = console_client("owner")
    for rec in (logs.r3, logs.r4, logs.r5):
        assert client.get(reverse("recordings:media", args=[rec.sid])).status_code == 404


# --- delete ------------------------------------------------------------------------------------


def test_delete_asks_then_deletes_and_audits(console_client, account, make_completed_recording):
    rec = make_completed_recording(media=MEDIA)
    client = console_client("admin")
    confirm = client.get(reverse("recordings:delete", args=[rec.sid]))
    assert confirm.status_code == 200
    assert f"Delete recording {rec.sid}" in confirm.content.decode()
    rec.refresh_from_db()
    assert rec.status == RecordingStatus.COMPLETED  # the GET changed nothing

    response = client.post(reverse("recordings:delete", args=[rec.sid]), {"confirm": "True"})
    assert response.status_code == 302
    assert response["Location"] == reverse("recordings:detail", args=[rec.sid])
    rec.refresh_from_db()
    assert rec.status == RecordingStatus.DELETED and rec.date_deleted is not None
    event = console_selectors.audit_events(account=account).first()
    assert (event.actor, event.action, event.object_sid) == (
        "user:admin@example.com",
        "recording.delete",
        rec.sid,
    )
    page = client.get(response["Location"]).content.decode()
    assert f"Recording {rec.sid} was deleted." in page
    purge = (rec.date_deleted + timedelta(days=30)).strftime("%Y-%m-%d")
    assert f">{purge}</time>" in page


def test_delete_of_a_processing_recording_says_why_and_changes_nothing(console_client, logs):
    client = console_client("owner")
    url = reverse("recordings:delete", args=[logs.r4.sid])
    page = client.get(url).content.decode()
    assert "still processing and cannot be deleted yet" in page
    assert 'type="submit" class="danger"' not in page
    events = console_selectors.audit_events(account=logs.alpha.account).count()

    response = client.post(url, {"confirm": "True"}, follow=True)
    assert "is still processing and cannot be deleted yet. Nothing was changed" in (
        response.content.decode()
    )
    logs.r4.refresh_from_db()
    assert logs.r4.status == RecordingStatus.PROCESSING
    assert console_selectors.audit_events(account=logs.alpha.account).count() == events


def test_delete_without_the_confirm_field_changes_nothing(console_client, logs):
    client = console_client("owner")
    response = client.post(reverse("recordings:delete", args=[logs.r1.sid]), follow=True)
    assert "Confirm the deletion" in response.content.decode()
    logs.r1.refresh_from_db()
    assert logs.r1.status == RecordingStatus.COMPLETED


def test_delete_of_a_deleted_recording_is_a_message(console_client, logs):
    client = console_client("owner")
    url = reverse("recordings:delete", args=[logs.r5.sid])
    assert "already deleted" in client.get(url).content.decode()
    response = client.post(url, {"confirm": "True"}, follow=True)
    assert "was already deleted" in response.content.decode()


def test_delete_needs_csrf(account, logs):
    from django.test import Client

    from console import services as console_services

    membership = console_services.member_set(
        account=account, email="csrf@example.com", password=None, role="owner"
    )
    client = Client(enforce_csrf_checks=True)
    client.force_login(membership.user)
    response = client.post(reverse("recordings:delete", args=[logs.r1.sid]), {"confirm": "True"})
    assert response.status_code == 403
    logs.r1.refresh_from_db()
    assert logs.r1.status == RecordingStatus.COMPLETED


# --- the role matrix and account isolation --------------------------------------------------

ALLOWED = {
    "list": ({"viewer", "member", "admin", "owner"}, 200),
    "detail": ({"viewer", "member", "admin", "owner"}, 200),
    "media": ({"member", "admin", "owner"}, 302),
    "export": ({"member", "admin", "owner"}, 200),
    "delete confirm": ({"admin", "owner"}, 200),
    "delete": ({"admin", "owner"}, 302),
}


def request_view(client, view: str, rec: Recording):
    urls = {
        "list": reverse("recordings:list"),
        "detail": reverse("recordings:detail", args=[rec.sid]),
        "media": reverse("recordings:media", args=[rec.sid]),
        "export": reverse("recordings:export"),
        "delete confirm": reverse("recordings:delete", args=[rec.sid]),
        "delete": reverse("recordings:delete", args=[rec.sid]),
    }
    if view == "delete":
        return client.post(urls[view], {"confirm": "True"})
    return client.get(urls[view])


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("view", ALLOWED)
def test_role_matrix(console_client, make_completed_recording, view, role):
    rec = make_completed_recording(media=MEDIA)
    roles, status = ALLOWED[view]
    response = request_view(console_client(role), view, rec)
    rec.refresh_from_db()
    if role in roles:
        assert response.status_code == status
    else:
        assert response.status_code == 403
    deleted = view == "delete" and role in roles
    assert rec.status == (RecordingStatus.DELETED if deleted else RecordingStatus.COMPLETED)


@pytest.mark.parametrize("view", ALLOWED)
def test_anonymous_is_sent_to_sign_in(client, make_completed_recording, view):
    rec = make_completed_recording(media=MEDIA)
    response = request_view(client, view, rec)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=/recordings/")
    rec.refresh_from_db()
    assert rec.status == RecordingStatus.COMPLETED


@pytest.mark.parametrize("view", ["detail", "media", "delete confirm", "delete"])
def test_another_accounts_recording_is_404(console_client, other_account, view):
    foreign = RecordingFactory(
        track__participant__room__account=other_account, status=RecordingStatus.COMPLETED
    )
    response = request_view(console_client("owner"), view, foreign)
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == RecordingStatus.COMPLETED


def test_lists_and_export_show_only_the_accounts_recordings(console_client, logs, other_account):
    RecordingFactory(
        track__participant__room__account=other_account, status=RecordingStatus.COMPLETED
    )
    client = console_client("owner")
    expected = named(logs, "r1", "r2", "r3", "r4", "r5", "r6", "r7")
    assert rows_of(client.get(reverse("recordings:list"), {"status": "all"})) == expected
    _, *rows = csv_rows(client.get(reverse("recordings:export"), {"status": "all"}))
    assert [r[1] for r in rows] == expected


def test_a_member_of_two_accounts_sees_the_one_they_work_in(console_client, logs, other_account):
    RecordingFactory(
        track__participant__room__account=other_account, status=RecordingStatus.COMPLETED
    )
    client = console_client("viewer", in_account=other_account)
    assert logs.r1.sid not in rows_of(client.get(reverse("recordings:list")))
    assert client.get(reverse("recordings:detail", args=[logs.r1.sid])).status_code == 404
