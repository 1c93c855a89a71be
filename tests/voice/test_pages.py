"""Voice Recordings Logs and details pages, through HTTP as a signed-in console user.

Recordings are made by the voice services themselves (calls answered, recorded, hung up and their
real audio uploaded), so the player and downloads serve real WAV and MP3 files. Filters are
checked against the 2010-04-01 API where it has the same filter; paging is walked both ways
through ties; each view goes through the role matrix and account isolation; bulk deletion of
voice recordings runs through the same pages as video's and leaves video recordings alone.
"""

import html
import io
import json
import re
import socket
import tempfile
import types
import wave
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pytest
from django.urls import reverse

from console import selectors as console_selectors
from recordings.devtools.voice_simulator import simulate_call
from recordings.lifecycle.models import BulkDeletion
from recordings.media.store import get_media_store
from recordings.video.choices import RecordingStatus
from recordings.video.models import Recording
from recordings.voice import audio, media, services
from recordings.voice.choices import RecordingSource, Trim, VoiceRecordingStatus
from recordings.voice.models import VoiceRecording
from tests.factories import RecordingFactory, TrackFactory
from tests.helpers import form_data

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ROW_SID = re.compile(r'<a href="/voice/(RE[0-9a-f]{32})/">')
ROLES = ("viewer", "member", "admin", "owner")
# Queries of one list page, whatever its size: session, user, membership, the page of rows, the
# capped count, and the layout's two reads of memberships (as on the video Logs).
LIST_QUERIES = 7
COMPLETED, PROCESSING, ABSENT, DELETED = (
    VoiceRecordingStatus.COMPLETED,
    VoiceRecordingStatus.PROCESSING,
    VoiceRecordingStatus.ABSENT,
    VoiceRecordingStatus.DELETED,
)


# --- making recordings through the voice services -------------------------------------------


def started(account, *, at, source=RecordingSource.OUTBOUND_API, dual=False, trim=None, conf=None):
    """Start recording a call answered at ``at`` (or the conference ``conf``): processing."""
    if conf is not None:
        return services.voice_recording_start(
            conference=conf, source=RecordingSource.CONFERENCE, at=at
        )
    call = services.call_start(account=account, from_number="+15005550006", at=at)
    return services.voice_recording_start(
        call=call,
        source=source,
        channels=2 if dual else 1,
        trim=trim or Trim.DO_NOT_TRIM,
        at=at,
    )


def finished(recording: VoiceRecording, *, seconds: float, silent=False) -> VoiceRecording:
    """Hang up ``seconds`` after the recording started and upload the call's audio (two people
    speaking, or silence)."""
    end = recording.start_time + timedelta(seconds=seconds)
    if recording.conference_id:
        services.conference_end(conference=recording.conference, at=end)
    else:
        services.call_end(call=recording.call, at=end)
    if silent:
        sound = audio.Audio(np.zeros((2, round(seconds * audio.SAMPLE_RATE)), dtype=np.int16))
    else:
        sound = audio.speech(seconds, dual=True)
    with tempfile.NamedTemporaryFile(suffix=".wav") as file:
        audio.write_wav(sound, file)
        file.flush()
        recording.refresh_from_db()
        return services.voice_recording_audio_ingest(recording=recording, path=Path(file.name))


def deleted(recording: VoiceRecording, capture) -> VoiceRecording:
    from console.services import Actor

    with capture(execute=True):
        services.voice_recording_delete(recording=recording, actor=Actor(name="test"))
    recording.refresh_from_db()
    return recording


@pytest.fixture
def logs(account, django_capture_on_commit_callbacks):
    """Every status, calls and a conference, mono and dual, several sources, a date tie."""
    conference = services.conference_start(
        account=account, friendly_name="board", at=T0 + timedelta(minutes=4)
    )
    conference_call = services.call_start(account=account, at=T0 + timedelta(minutes=4))
    services.conference_join(conference=conference, call=conference_call)

    def at(minute):
        return T0 + timedelta(minutes=minute)

    return types.SimpleNamespace(
        conference=conference,
        a=finished(started(account, at=at(0)), seconds=2),
        b=finished(
            started(account, at=at(0), dual=True, source=RecordingSource.DIAL_VERB), seconds=3
        ),
        c=started(account, at=at(1), source=RecordingSource.RECORD_VERB),
        d=finished(started(account, at=at(2)), seconds=0.5),
        e=finished(started(account, at=at(3), trim=Trim.TRIM_SILENCE), seconds=2, silent=True),
        f=finished(started(account, at=at(4), conf=conference), seconds=2),
        g=deleted(
            finished(started(account, at=at(5)), seconds=2), django_capture_on_commit_callbacks
        ),
    )


def list_order(recordings) -> list[str]:
    return [r.sid for r in sorted(recordings, key=lambda r: (r.date_created, r.sid), reverse=True)]


def named(logs, *names) -> list[str]:
    return list_order([getattr(logs, n) for n in names])


def rows_of(response) -> list[str]:
    assert response.status_code == 200, response.content[:500]
    return ROW_SID.findall(response.content.decode())


def link(response, rel: str) -> str | None:
    match = re.search(rf'href="([^"]+)" rel="{rel}"', response.content.decode())
    return html.unescape(match.group(1)) if match else None


def api_sids(api, account, params) -> list[str]:
    response = api.get(
        f"/2010-04-01/Accounts/{account.sid}/Recordings.json", {**params, "PageSize": 1000}
    )
    assert response.status_code == 200, response.content
    return [r["sid"] for r in response.json()["recordings"]]


def words(page: str) -> str:
    """Return a page with its runs of whitespace (template line breaks) as single spaces."""
    return " ".join(page.split())


def body_of(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def local(url: str) -> str:
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc) == ("http", "testserver"), url
    return parts.path


def closed_port_url() -> str:
    """A URL nothing listens on: a callback attempt to it fails at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/callbacks"


def test_the_fixture_has_every_status(logs):
    assert (logs.a.status, logs.b.status, logs.f.status) == (COMPLETED,) * 3
    assert (logs.b.channels, logs.a.channels, logs.f.channels) == (2, 1, 1)
    assert logs.c.status == PROCESSING
    assert (logs.d.status, logs.d.error_code) == (ABSENT, 16101)
    assert (logs.e.status, logs.e.error_code) == (ABSENT, 16102)
    assert logs.g.status == DELETED and logs.g.date_deleted is not None


# --- filters ------------------------------------------------------------------------------------

# (console query, 2010-04-01 API query or None where it has no such filter, expected recordings)
FILTERS = {
    "none": (lambda d: {}, lambda d: {}, "abcdef"),
    "status completed": (lambda d: {"status": "completed"}, None, "abf"),
    "status processing": (lambda d: {"status": "processing"}, None, "c"),
    "status absent": (lambda d: {"status": "absent"}, None, "de"),
    "status deleted": (lambda d: {"status": "deleted"}, None, "g"),
    "status any, deleted too": (
        lambda d: {"status": "all"},
        lambda d: {"IncludeSoftDeleted": "true"},
        "abcdefg",
    ),
    "call SID": (lambda d: {"call": d.b.call_id}, lambda d: {"CallSid": d.b.call_id}, "b"),
    "call SID in capitals": (
        lambda d: {"call": "CA" + d.a.call_id[2:].upper()},
        lambda d: {"CallSid": d.a.call_id},
        "a",
    ),
    "conference SID": (
        lambda d: {"conference": d.conference.sid},
        lambda d: {"ConferenceSid": d.conference.sid},
        "f",
    ),
    "recording SID": (lambda d: {"sid": d.e.sid}, None, "e"),
    "recording SID in capitals": (lambda d: {"sid": "RE" + d.e.sid[2:].upper()}, None, "e"),
    "source DialVerb": (lambda d: {"source": "DialVerb"}, None, "b"),
    "source Conference": (lambda d: {"source": "Conference"}, None, "f"),
    "created from": (lambda d: {"date_from": "2026-03-01T12:02"}, None, "def"),
    "created before": (lambda d: {"date_to": "2026-03-01T12:02"}, None, "abc"),
    "several at once": (
        lambda d: {"status": "completed", "date_to": "2026-03-01T12:01", "source": "OutboundAPI"},
        None,
        "a",
    ),
}


@pytest.mark.parametrize("name", FILTERS)
def test_each_filter_selects_its_rows_and_the_same_as_the_api(
    console_client, api, account, logs, name
):
    console_query, api_query, expected = FILTERS[name]
    response = console_client("viewer").get(reverse("voice:list"), console_query(logs))
    assert rows_of(response) == named(logs, *expected)
    if api_query is not None:
        assert rows_of(response) == api_sids(api, account, api_query(logs))


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ({"sid": "RTnothex"}, "A recording SID is RE followed by 32 hex digits."),
        ({"call": "CF" + "0" * 32}, "A call SID is CA followed by 32 hex digits."),
        ({"conference": "nope"}, "A conference SID is CF followed by 32 hex digits."),
        ({"date_from": "yesterday"}, "Enter a valid date/time."),
        ({"source": "Fax"}, "Select a valid choice."),
        ({"page_size": 1000}, "Select a valid choice."),
    ],
)
def test_a_malformed_filter_shows_the_error_not_a_500(console_client, logs, query, error):
    response = console_client("viewer").get(reverse("voice:list"), query)
    page = response.content.decode()
    assert rows_of(response) == []
    assert error in page and "These filters cannot be applied" in page


def test_filters_stay_in_the_form_and_page_size_defaults_to_50(console_client, logs):
    client = console_client("viewer")
    page = client.get(
        reverse("voice:list"), {"call": logs.a.call_id, "source": "DialVerb", "page_size": 100}
    ).content.decode()
    assert f'name="call" value="{logs.a.call_id}"' in page
    assert '<option value="DialVerb" selected>' in page
    assert '<option value="100" selected>' in page
    assert '<option value="50" selected>' in client.get(reverse("voice:list")).content.decode()
    assert 'role="search" aria-label="Filter voice recordings"' in page


def test_columns_show_call_conference_source_channels_duration_and_status(console_client, logs):
    page = console_client("viewer").get(reverse("voice:list")).content.decode()
    rows = {ROW_SID.search(tr)[1]: tr for tr in re.findall(r"<tr>.*?</tr>", page, re.S)[1:]}
    # SIDs are shortened on screen only: the text holds them whole.
    assert f"Call {logs.b.call_id}" in re.sub(r"<[^>]+>", "", rows[logs.b.sid])
    assert f"Conference {logs.conference.sid}" in re.sub(r"<[^>]+>", "", rows[logs.f.sid])
    assert '<td data-label="Source" class="text">DialVerb</td>' in rows[logs.b.sid]
    assert '<td data-label="Channels" class="number">2</td>' in rows[logs.b.sid]
    assert '<span title="3 seconds">0:03</span>' in rows[logs.b.sid]
    assert '<span class="status-absent">Absent</span>' in rows[logs.d.sid]
    assert '<span class="status-processing">Processing</span>' in rows[logs.c.sid]
    assert '<td data-label="Duration" class="number">—</td>' in rows[logs.c.sid]  # processing


def test_deleted_rows_show_only_with_any_deleted_too_and_their_purge_date(
    console_client, logs, settings
):
    client = console_client("viewer")
    assert logs.g.sid not in rows_of(client.get(reverse("voice:list")))
    response = client.get(reverse("voice:list"), {"status": "all"})
    assert logs.g.sid in rows_of(response)
    purge = (logs.g.date_deleted + timedelta(days=40)).strftime("%Y-%m-%d")
    rows = re.findall(r"<tr>.*?</tr>", response.content.decode(), re.S)
    (deleted_row,) = [tr for tr in rows if logs.g.sid in tr]
    assert re.search(rf"purged on <time [^>]*>{purge}</time>", deleted_row)
    assert sum("purged on" in tr for tr in rows) == 1
    settings.VOICE_RECORDING_RETENTION_DAYS = 7
    purge = (logs.g.date_deleted + timedelta(days=7)).strftime("%Y-%m-%d")
    assert (
        f">{purge}</time>" in client.get(reverse("voice:list"), {"status": "all"}).content.decode()
    )


# --- paging -------------------------------------------------------------------------------------


@pytest.fixture
def sixty(account):
    """60 processing recordings of 60 calls in ties of three (same date_created, then by SID)."""
    return [started(account, at=T0 + timedelta(minutes=i // 3)) for i in range(60)]


def test_paging_walks_forward_and_back_through_ties(console_client, api, account, sixty):
    client = console_client("viewer")
    url = reverse("voice:list") + "?page_size=25&status=processing"
    pages, responses = [], []
    while url:
        response = client.get(url)
        pages.append(rows_of(response))
        responses.append(response)
        assert "page_size=25" in url and "status=processing" in url  # the filters are kept
        url = link(response, "next")
        assert len(pages) < 10
    assert [len(p) for p in pages] == [25, 25, 10]
    flat = [sid for p in pages for sid in p]
    assert flat == list_order(sixty) == api_sids(api, account, {})
    assert link(responses[0], "prev") is None

    back, url = [pages[-1]], link(responses[-1], "prev")
    while url:
        response = client.get(url)
        back.append(rows_of(response))
        url = link(response, "prev")
        assert len(back) < 10
    assert back[::-1] == pages


def test_a_bad_page_token_shows_the_first_page_with_a_message(console_client, sixty):
    response = console_client("viewer").get(
        reverse("voice:list"), {"token": "forged:token", "page_size": 25}
    )
    assert rows_of(response) == list_order(sixty)[:25]
    assert "That page link is not valid: showing the first page." in response.content.decode()


def test_count_is_capped_and_the_query_count_does_not_grow(
    console_client, sixty, monkeypatch, django_assert_max_num_queries
):
    from recordings.lifecycle.views import lists

    client = console_client("viewer")
    assert "60 recordings match" in client.get(reverse("voice:list")).content.decode()
    monkeypatch.setattr(lists, "COUNT_CAP", 40)
    page = client.get(reverse("voice:list"), {"page_size": 25}).content.decode()
    assert "More than 40 recordings match" in page
    with django_assert_max_num_queries(LIST_QUERIES) as captured:
        response = client.get(reverse("voice:list"), {"page_size": 25, "status": "processing"})
    (count,) = [q["sql"] for q in captured.captured_queries if "COUNT(" in q["sql"]]
    assert "LIMIT 41" in count
    with django_assert_max_num_queries(LIST_QUERIES):
        assert len(rows_of(client.get(link(response, "next")))) == 25


def test_empty_states(console_client, account, logs):
    client = console_client("viewer")
    page = client.get(reverse("voice:list"), {"call": "CA" + "f" * 32}).content.decode()
    assert "No recording matches these filters." in page and "Clear all filters" in page


def test_empty_state_without_any_recording_says_how_to_make_one(console_client, account):
    page = console_client("viewer").get(reverse("voice:list")).content.decode()
    assert "No voice recordings yet." in page and "/Recordings.json" in page


def test_the_sidebar_links_voice_recordings(console_client, account):
    page = console_client("viewer").get(reverse("home")).content.decode()
    assert '<a href="/recordings/">Recordings</a></li>' in page
    assert '<a href="/voice/">Voice recordings</a></li>' in page


# --- details ------------------------------------------------------------------------------------


def detail(client, recording) -> str:
    response = client.get(reverse("voice:detail", args=[recording.sid]))
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


def test_detail_shows_the_fields_and_the_api_json(console_client, api, account, logs):
    page = detail(console_client("viewer"), logs.b)
    from_api = api.get(f"/2010-04-01/Accounts/{account.sid}/Recordings/{logs.b.sid}.json").json()
    shown = json.loads(html.unescape(re.search(r'id="api-json">(.*?)</pre>', page, re.S)[1]))
    assert shown == from_api
    fields = re.search(r'id="api-fields">(.*?)</dl>', page, re.S)[1]
    assert re.findall(r"<dt>(\w+)</dt>", fields) == list(from_api)
    assert f"GET {from_api['uri']}" in page
    for text in (logs.b.call_id, "+15005550006", "DialVerb", "0:03", "dual", "completed"):
        assert text in page, text


def test_detail_of_a_conference_recording_names_the_conference(console_client, logs):
    page = detail(console_client("viewer"), logs.f)
    assert f'board <code class="muted">{logs.conference.sid}</code>' in page


def test_detail_plays_the_wav_and_offers_each_download(console_client, logs):
    client = console_client("member")
    media_url = reverse("voice:media", args=[logs.a.sid])
    page = detail(client, logs.a)
    assert f'<audio class="player" controls preload="metadata" src="{media_url}"' in page
    downloads = re.findall(r'href="([^"]+)" download>Download ([^<]+)<', page)
    assert [(html.unescape(u), label) for u, label in downloads] == [
        (f"{media_url}?format=wav&channels=1&download=1", "WAV"),
        (f"{media_url}?format=mp3&channels=1&download=1", "MP3"),
    ]
    dual_url = reverse("voice:media", args=[logs.b.sid])
    labels = re.findall(r"download>Download ([^<]+)<", detail(client, logs.b))
    assert labels == ["WAV (dual)", "WAV (mono)", "MP3 (dual)", "MP3 (mono)"]
    assert f"{dual_url}?format=mp3&amp;channels=1&amp;download=1" in detail(client, logs.b)


def test_detail_has_no_player_for_a_viewer(console_client, logs):
    page = detail(console_client("viewer"), logs.a)
    assert "<audio" not in page and "/media" not in page
    assert "not play or download" in page
    assert "Delete this recording" not in page


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("c", "still processing: it can be played once the call's audio has been uploaded"),
        ("d", "absent (error 16101): less than a second of audio was left"),
        ("e", "absent (error 16102): the call was silent"),
        ("g", "was deleted: its audio has been removed, and its details are purged on "),
    ],
)
def test_detail_says_why_there_is_no_player(console_client, logs, name, reason):
    recording = getattr(logs, name)
    page = detail(console_client("owner"), recording)
    assert "<audio" not in page and "download=1" not in page
    assert reason in html.unescape(page)
    assert "Delete this recording" not in page  # only completed ones can be


def test_detail_of_a_deleted_recording_shows_its_purge_date(console_client, logs, settings):
    purge = (logs.g.date_deleted + timedelta(days=40)).strftime("%Y-%m-%d")
    page = detail(console_client("viewer"), logs.g)
    assert re.search(rf'id="purge-date"><time datetime="[^"]+">{purge}<', page)
    assert f"purged on {purge}." in page
    assert 'id="purge-date"' not in detail(console_client("viewer"), logs.a)


def test_detail_lists_pauses(console_client, account):
    _, recording = simulate_call(account=account, seconds=4, pause_at=1, resume_at=2.5)
    _, skipping = simulate_call(
        account=account, seconds=4, pause_at=3, pause_behavior="skip", seed=1
    )
    client = console_client("viewer")
    pauses = re.search(r'<table id="pauses">.*?</table>', detail(client, recording), re.S)[0]
    cells = re.findall(r"<td>(.*?)</td>", pauses)
    assert cells == ["1.0 s", "2.5 s", "replaced by silence"]
    cells = re.findall(r"<td>(.*?)</td>", detail(client, skipping).split('id="pauses"')[1])[:3]
    assert cells == ["3.0 s", "4.0 s", "cut out (skip)"]
    _, plain = simulate_call(account=account, seconds=2)
    assert "The recording was never paused." in detail(client, plain)


def test_detail_lists_the_status_callbacks_sent(
    console_client, account, logs, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _, recording = simulate_call(account=account, seconds=2, status_callback=closed_port_url())
    page = detail(console_client("viewer"), recording)
    section = re.search(r'aria-labelledby="callbacks-heading">.*?</section>', page, re.S)[0]
    sent = re.findall(r'<h3>([\w-]+) <span class="badge">(\w+)</span>', section)
    assert sent == [("in-progress", "Failed"), ("completed", "Failed")]
    # Eager Celery runs every retry at once: each delivery lists its attempts 1, 2, …, all failed.
    for table in re.findall(r"<tbody>.*?</tbody>", section, re.S):
        numbers = [int(n) for n in re.findall(r"<tr>\s*<td>(\d+)</td>", table)]
        assert numbers == list(range(1, len(numbers) + 1)) and len(numbers) > 1
        assert table.count("<td>ConnectionError") == len(numbers)
    assert 'id="no-callbacks"' in detail(console_client("viewer"), logs.a)


# --- media ----------------------------------------------------------------------------------------


def fetch(client, recording, **query):
    """Follow the media route's redirect to the signed URL; return (redirect, file response)."""
    response = client.get(reverse("voice:media", args=[recording.sid]), query)
    assert response.status_code == 302, response.content[:300]
    assert response["Cache-Control"] == "private, no-store"
    target = local(response["Location"])
    assert target.startswith("/media/") and recording.sid not in target
    served = client.get(target)
    assert served.status_code == 200
    return response, served


def wav_of(data: bytes) -> wave.Wave_read:
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE", data[:12]
    return wave.open(io.BytesIO(data))


@pytest.mark.parametrize("name", ["a", "b"])
def test_media_is_the_recordings_own_wav_inline(console_client, logs, name):
    recording = getattr(logs, name)
    _, served = fetch(console_client("member"), recording)
    body = body_of(served)
    with wav_of(body) as wav:
        assert wav.getnchannels() == recording.channels
        assert wav.getframerate() == 8000 and wav.getsampwidth() == 2
        assert abs(wav.getnframes() / 8000 - recording.duration) < 0.6
    assert served["Content-Type"] == "audio/x-wav"
    assert served["Content-Disposition"] == f'inline; filename="{recording.sid}.wav"'
    with get_media_store().open(recording.media_key) as stored:
        assert body == stored.read()


def test_media_downloads_a_mono_wav_of_a_dual_recording(console_client, logs):
    _, served = fetch(console_client("member"), logs.b, format="wav", channels=1, download=1)
    with wav_of(body_of(served)) as wav:
        assert wav.getnchannels() == 1
    assert served["Content-Disposition"] == f'attachment; filename="{logs.b.sid}-mono.wav"'


@pytest.mark.parametrize(("name", "channels"), [("a", 1), ("b", 2), ("b", 1)])
def test_media_downloads_an_mp3(console_client, logs, name, channels):
    recording = getattr(logs, name)
    _, served = fetch(
        console_client("member"), recording, format="mp3", channels=channels, download=1
    )
    body = body_of(served)
    frame_sync = body[0] == 0xFF and body[1] & 0xE0 == 0xE0
    assert body[:3] == b"ID3" or frame_sync, body[:4]
    assert served["Content-Type"] == "audio/mpeg"
    info = audio.info(body)
    assert (info["codec"], info["channels"], info["sample_rate"]) == ("mp3", channels, 8000)


def test_a_second_request_is_served_without_transcoding_again(console_client, logs, settings):
    client = console_client("member")
    key = media.rendition_key(logs.b, format="mp3", channels=1)
    path = Path(settings.MEDIA_ROOT) / key
    assert not get_media_store().exists(key)

    _, first = fetch(client, logs.b, format="mp3", channels=1)
    assert get_media_store().exists(key)
    before = path.stat()
    _, second = fetch(client, logs.b, format="mp3", channels=1)
    after = path.stat()

    assert (after.st_ino, after.st_mtime_ns, after.st_size) == (
        before.st_ino,
        before.st_mtime_ns,
        before.st_size,
    )
    assert body_of(first) == body_of(second)


@pytest.mark.parametrize(
    ("name", "query"),
    [
        ("a", {"channels": 2}),  # a mono recording has no second channel
        ("a", {"format": "ogg"}),
        ("a", {"channels": "3"}),
        ("c", {}),  # processing
        ("d", {}),  # absent
        ("g", {}),  # deleted
    ],
)
def test_media_that_does_not_exist_is_404(console_client, logs, name, query):
    response = console_client("owner").get(
        reverse("voice:media", args=[getattr(logs, name).sid]), query
    )
    assert response.status_code == 404


# --- delete ---------------------------------------------------------------------------------------


def test_delete_asks_then_deletes_audits_and_removes_the_audio(
    console_client, account, logs, django_capture_on_commit_callbacks
):
    client = console_client("admin")
    url = reverse("voice:delete", args=[logs.b.sid])
    fetch(client, logs.b, format="mp3", channels=1)  # a rendition, removed with the original
    keys = [k for k in media.all_keys(account.sid, logs.b.sid, 2) if get_media_store().exists(k)]
    assert len(keys) == 2
    confirm = client.get(url).content.decode()
    assert f"Delete recording {logs.b.sid}" in confirm and "for 40 days" in confirm
    logs.b.refresh_from_db()
    assert logs.b.status == COMPLETED  # the GET changed nothing

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"confirm": "True"})

    assert response.status_code == 302
    assert response["Location"] == reverse("voice:detail", args=[logs.b.sid])
    logs.b.refresh_from_db()
    assert logs.b.status == DELETED and logs.b.date_deleted is not None
    assert not any(get_media_store().exists(k) for k in keys)
    event = console_selectors.audit_events(account=account).first()
    assert (event.actor, event.action, event.object_sid) == (
        "user:admin@example.com",
        "voice_recording.delete",
        logs.b.sid,
    )
    page = client.get(response["Location"]).content.decode()
    assert f"Recording {logs.b.sid} was deleted." in page
    assert 'id="purge-date"' in page


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("c", "still processing and cannot be deleted yet"),
        ("d", "absent (error 16101): it has no audio"),
    ],
)
def test_delete_of_a_recording_that_is_not_completed_says_why(
    console_client, account, logs, name, why
):
    recording = getattr(logs, name)
    client = console_client("owner")
    url = reverse("voice:delete", args=[recording.sid])
    page = client.get(url).content.decode()
    assert why in page and 'type="submit" class="danger"' not in page
    events = console_selectors.audit_events(account=account).count()

    response = client.post(url, {"confirm": "True"}, follow=True)

    message = (
        f"Recording {recording.sid} is {recording.status}: only completed recordings can be "
        "deleted. Nothing was changed."
    )
    assert message in response.content.decode()
    recording.refresh_from_db()
    assert recording.status == getattr(logs, name).status
    assert console_selectors.audit_events(account=account).count() == events


def test_delete_without_the_confirm_field_changes_nothing(console_client, logs):
    response = console_client("owner").post(reverse("voice:delete", args=[logs.a.sid]), follow=True)
    assert "Confirm the deletion" in response.content.decode()
    logs.a.refresh_from_db()
    assert logs.a.status == COMPLETED


def test_delete_of_a_deleted_recording_is_a_message(console_client, logs):
    client = console_client("owner")
    url = reverse("voice:delete", args=[logs.g.sid])
    assert "already deleted" in client.get(url).content.decode()
    response = client.post(url, {"confirm": "True"}, follow=True)
    assert f"Recording {logs.g.sid} was already deleted." in response.content.decode()


# --- the role matrix and account isolation --------------------------------------------------------

ALLOWED = {
    "list": ({"viewer", "member", "admin", "owner"}, 200),
    "detail": ({"viewer", "member", "admin", "owner"}, 200),
    "media": ({"member", "admin", "owner"}, 302),
    "delete confirm": ({"admin", "owner"}, 200),
    "delete": ({"admin", "owner"}, 302),
    "bulk select": ({"admin", "owner"}, 200),
    "bulk create": ({"admin", "owner"}, 302),
}


def request_view(client, view: str, recording: VoiceRecording):
    urls = {
        "list": reverse("voice:list"),
        "detail": reverse("voice:detail", args=[recording.sid]),
        "media": reverse("voice:media", args=[recording.sid]),
        "delete confirm": reverse("voice:delete", args=[recording.sid]),
        "delete": reverse("voice:delete", args=[recording.sid]),
        "bulk select": reverse("bulk:select"),
        "bulk create": reverse("bulk:create"),
    }
    selection = {"product": "voice", "sid": [recording.sid], "confirm": "True"}
    if view == "delete":
        return client.post(urls[view], {"confirm": "True"})
    if view.startswith("bulk"):
        return client.post(urls[view], selection)
    return client.get(urls[view])


@pytest.fixture
def completed(account):
    return simulate_call(account=account, seconds=2)[1]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("view", ALLOWED)
def test_role_matrix(console_client, completed, django_capture_on_commit_callbacks, view, role):
    roles, status = ALLOWED[view]
    with django_capture_on_commit_callbacks(execute=True):
        response = request_view(console_client(role), view, completed)
    assert response.status_code == (status if role in roles else 403)
    completed.refresh_from_db()
    deleted_now = view in ("delete", "bulk create") and role in roles
    assert completed.status == (DELETED if deleted_now else COMPLETED)


@pytest.mark.parametrize("view", ["list", "detail", "media", "delete confirm", "delete"])
def test_anonymous_is_sent_to_sign_in(client, completed, view):
    response = request_view(client, view, completed)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=/voice/")


@pytest.fixture
def foreign(other_account):
    return simulate_call(account=other_account, seconds=2)[1]


@pytest.mark.parametrize("view", ["detail", "media", "delete confirm", "delete"])
def test_another_accounts_recording_is_404(console_client, foreign, view):
    response = request_view(console_client("owner"), view, foreign)
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == COMPLETED


def test_another_accounts_recording_is_never_listed_nor_bulk_deleted(
    console_client, logs, foreign, django_capture_on_commit_callbacks
):
    client = console_client("owner")
    assert foreign.sid not in rows_of(client.get(reverse("voice:list"), {"status": "all"}))
    assert rows_of(client.get(reverse("voice:list"), {"sid": foreign.sid})) == []
    assert rows_of(client.get(reverse("voice:list"), {"call": foreign.call_id})) == []
    confirm = client.post(reverse("bulk:select"), {"product": "voice", "sid": [foreign.sid]})
    assert "Nothing to delete" in confirm.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("bulk:create"), {"product": "voice", "all": "1", "query": "", "confirm": "1"}
        )
    foreign.refresh_from_db()
    assert foreign.status == COMPLETED


def test_a_member_of_two_accounts_sees_the_one_they_work_in(console_client, logs, other_account):
    client = console_client("viewer", in_account=other_account)
    assert rows_of(client.get(reverse("voice:list"), {"status": "all"})) == []
    assert client.get(reverse("voice:detail", args=[logs.a.sid])).status_code == 404


# --- bulk deletion of voice recordings ------------------------------------------------------------


@pytest.fixture
def videos(account):
    track = TrackFactory(participant__room__account=account)
    return RecordingFactory.create_batch(3, track=track, status=RecordingStatus.COMPLETED)


def video_statuses(videos) -> set[str]:
    return set(
        Recording.objects.filter(sid__in=[v.sid for v in videos]).values_list("status", flat=True)
    )


def test_the_list_posts_voice_selections_to_the_bulk_pages(console_client, logs):
    page = console_client("admin").get(reverse("voice:list")).content.decode()
    checked = re.findall(r'<input type="checkbox" name="sid" value="(RE[0-9a-f]{32})"', page)
    assert checked == named(logs, *"abcdef")
    select = reverse("bulk:select")
    assert form_data(page, select, "bulk-selected")["product"] == ["voice"]
    assert form_data(page, select, "bulk-all") == {
        "product": ["voice"],
        "all": ["1"],
        "query": [""],
    }
    for role in ("viewer", "member"):
        page = console_client(role).get(reverse("voice:list")).content.decode()
        assert 'type="checkbox"' not in page and select not in page


def test_bulk_delete_selected_voice_recordings(
    console_client, logs, videos, django_capture_on_commit_callbacks
):
    client = console_client("admin")
    chosen = [logs.a, logs.b, logs.c, logs.d]
    confirm = client.post(
        reverse("bulk:select"), {"product": "voice", "sid": [r.sid for r in chosen]}
    )
    page = confirm.content.decode()
    assert confirm.status_code == 200
    assert "This deletes <strong>4</strong> voice recordings." in words(page)
    assert "Selection: 4 selected voice recordings." in page
    assert "<h1>Delete voice recordings</h1>" in page
    assert all(f'<a href="/voice/{r.sid}/"><code>{r.sid}</code></a>' in page for r in chosen)
    assert '<a class="button secondary" href="/voice/">Cancel</a>' in page
    assert "absent ones (with no audio), are skipped" in page

    with django_capture_on_commit_callbacks(execute=True):
        created = client.post(reverse("bulk:create"), form_data(page, reverse("bulk:create")))

    (job,) = BulkDeletion.objects.all()
    assert created["Location"] == reverse("bulk:progress", args=[job.pk])
    assert (job.product, job.total, job.done, job.skipped, job.status) == ("voice", 4, 2, 2, "done")
    statuses = dict(VoiceRecording.objects.values_list("sid", "status"))
    assert [statuses[r.sid] for r in chosen] == [DELETED, DELETED, PROCESSING, ABSENT]
    assert statuses[logs.f.sid] == COMPLETED
    assert not get_media_store().exists(logs.a.media_key)
    assert video_statuses(videos) == {RecordingStatus.COMPLETED}

    progress = client.get(created["Location"]).content.decode()
    assert "Deleting 4 voice recordings." in progress
    assert "Deletes 4 selected voice recordings." in progress
    assert "2 voice recordings deleted, 2 skipped because still processing or absent" in progress
    assert '<a href="/voice/">Voice recordings</a>' in progress
    listed = client.get(reverse("bulk:list")).content.decode()
    assert "<td>4 selected voice recordings</td>" in listed


def test_bulk_delete_all_voice_recordings_matching_a_filter_from_the_list(
    console_client, logs, videos, django_capture_on_commit_callbacks
):
    client = console_client("owner")
    logs_page = client.get(reverse("voice:list"), {"date_to": "2026-03-01T12:03"})
    assert "4 recordings match these filters" in logs_page.content.decode()

    select_all = form_data(logs_page.content.decode(), reverse("bulk:select"), "bulk-all")
    confirm = client.post(reverse("bulk:select"), select_all).content.decode()
    assert "This deletes <strong>4</strong> voice recordings." in words(confirm)
    # The filter in words, with the Logs form's labels (the dates in UTC, as typed).
    assert "Selection: Voice recordings with created before 1 Mar 2026 12:03." in confirm
    assert 'href="/voice/?date_to=2026-03-01T12%3A03"' in confirm
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("bulk:create"), form_data(confirm, reverse("bulk:create")))

    (job,) = BulkDeletion.objects.all()
    assert (job.product, job.total, job.done, job.skipped) == ("voice", 4, 2, 2)
    statuses = dict(VoiceRecording.objects.values_list("sid", "status"))
    assert [statuses[logs.a.sid], statuses[logs.b.sid]] == [DELETED, DELETED]
    assert [statuses[logs.c.sid], statuses[logs.d.sid]] == [PROCESSING, ABSENT]
    assert [statuses[logs.e.sid], statuses[logs.f.sid]] == [ABSENT, COMPLETED]
    assert video_statuses(videos) == {RecordingStatus.COMPLETED}


def test_a_bad_voice_selection_goes_back_to_the_voice_logs(console_client, logs, videos):
    client = console_client("admin")
    response = client.post(
        reverse("bulk:select"), {"product": "voice", "sid": [videos[0].sid]}, follow=True
    )
    assert response.redirect_chain == [(reverse("voice:list"), 302)]
    assert "A recording SID is RE followed by 32 hex digits." in response.content.decode()
    response = client.post(
        reverse("bulk:select"),
        {"product": "voice", "all": "1", "query": "call=nope"},
        follow=True,
    )
    assert response.redirect_chain == [(reverse("voice:list") + "?call=nope", 302)]
    assert "The filter is not valid" in response.content.decode()


def test_an_unknown_product_is_refused(console_client, logs):
    response = console_client("admin").post(
        reverse("bulk:select"), {"product": "fax", "sid": [logs.a.sid]}, follow=True
    )
    assert "That selection could not be read." in response.content.decode()
    assert not BulkDeletion.objects.exists()


@pytest.mark.parametrize("product", [{}, {"product": "video"}])
def test_video_bulk_deletion_still_deletes_only_video(
    console_client, logs, videos, django_capture_on_commit_callbacks, product
):
    client = console_client("admin")
    confirm = client.post(
        reverse("bulk:select"), {**product, "all": "1", "query": ""}
    ).content.decode()
    assert "This deletes <strong>3</strong> recordings." in words(confirm)
    assert "Selection: All recordings that are not deleted." in confirm
    assert "<h1>Delete recordings</h1>" in confirm
    assert '<a class="button secondary" href="/recordings/">Cancel</a>' in confirm
    with django_capture_on_commit_callbacks(execute=True):
        created = client.post(reverse("bulk:create"), form_data(confirm, reverse("bulk:create")))

    (job,) = BulkDeletion.objects.all()
    assert (job.product, job.done) == ("video", 3)
    assert video_statuses(videos) == {RecordingStatus.DELETED}
    assert VoiceRecording.objects.filter(status=COMPLETED).count() == 3
    progress = client.get(created["Location"]).content.decode()
    assert "Deletes all recordings that are not deleted." in progress
    assert '<a href="/recordings/">Recordings</a>' in progress
