"""The Dashboard: recordings by status, storage used, the per-day chart, rooms in progress."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse

from console.services import SYSTEM
from console.templatetags.roomvault_format import human_size
from recordings.devtools.voice_simulator import simulate_call
from recordings.lifecycle.stats import recording_totals
from recordings.video import services, stats
from recordings.video.choices import RecordingStatus
from recordings.video.kind import VIDEO
from recordings.voice import services as voice_services
from tests.factories import RecordingFactory, UserFactory

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


def recording(account, *, when, status=RecordingStatus.COMPLETED, size=None):
    deleted = when + timedelta(hours=1) if status == RecordingStatus.DELETED else None
    return RecordingFactory(
        track__participant__room__account=account,
        status=status,
        size=size,
        date_created=when,
        date_deleted=deleted,
    )


@pytest.fixture
def history(account, other_account):
    """Recordings on known days; the chart covers 2026-02-14 .. 2026-03-15 (UTC)."""
    recording(account, when=datetime(2026, 3, 15, 9, 0, tzinfo=UTC), size=1000)
    recording(account, when=datetime(2026, 3, 15, 0, 0, tzinfo=UTC), size=2000)
    recording(account, when=datetime(2026, 3, 9, 23, 59, 59, tzinfo=UTC), size=300)
    recording(account, when=datetime(2026, 3, 10, 0, 0, tzinfo=UTC), size=5000)
    recording(account, when=datetime(2026, 2, 14, 0, 0, 1, tzinfo=UTC), size=700)
    # Before the window: in the totals, not in the chart.
    recording(account, when=datetime(2026, 2, 13, 23, 59, tzinfo=UTC), size=10_000)
    # Deleted: counted as deleted, neither stored nor charted.
    recording(account, when=datetime(2026, 3, 15, 8, 0, tzinfo=UTC), status="deleted", size=999_999)
    recording(account, when=datetime(2026, 3, 12, 8, 0, tzinfo=UTC), status="processing")
    recording(account, when=datetime(2026, 3, 11, 8, 0, tzinfo=UTC), status="failed")
    # Another account's: nowhere.
    recording(other_account, when=datetime(2026, 3, 15, 10, 0, tzinfo=UTC), size=123_456)


STORAGE = 1000 + 2000 + 300 + 5000 + 700 + 10_000
EXPECTED_DAYS = {
    "2026-03-15": (2, 3000),
    "2026-03-12": (1, 0),
    "2026-03-11": (1, 0),
    "2026-03-10": (1, 5000),
    "2026-03-09": (1, 300),
    "2026-02-14": (1, 700),
}


def table_rows(content: str) -> dict[str, tuple[int, int]]:
    """Read the visually hidden table of the chart's numbers."""
    rows = re.findall(
        r'<tr><th scope="row">([\d-]+)</th><td>(\d+)</td><td>(\d+)</td></tr>', content
    )
    return {day: (int(n), int(size)) for day, n, size in rows}


def test_dashboard_numbers_are_the_recordings_made(console_client, history):
    response = console_client("viewer").get(reverse("home"))
    assert response.status_code == 200
    totals = response.context["totals"]
    assert totals.counts == {"completed": 6, "processing": 1, "failed": 1, "deleted": 1}
    assert totals.storage_bytes == STORAGE
    content = response.content.decode()
    assert human_size(STORAGE) == "18.6 KiB"
    assert "18.6 KiB" in content
    assert (
        f"({STORAGE} bytes in 8 recordings not deleted, playback renditions not counted)" in content
    )

    rows = table_rows(content)
    assert len(rows) == 30
    assert min(rows) == "2026-02-14" and max(rows) == "2026-03-15"
    assert {day: v for day, v in rows.items() if v != (0, 0)} == EXPECTED_DAYS


def test_the_chart_is_inline_svg_with_a_title_a_description_and_one_bar_per_day(
    console_client, history
):
    content = console_client("viewer").get(reverse("home")).content.decode()
    svg = content[content.index("<svg") : content.index("</svg>")]
    assert 'role="img"' in svg
    assert 'aria-labelledby="chart-title chart-desc"' in svg
    assert '<title id="chart-title">Recordings and bytes per day, 2026-02-14 to 2026-03-15' in svg
    assert "In all, 7 recordings and" in svg
    assert svg.count("<rect ") == 30
    assert "<polyline " in svg
    # The tallest bar (2 recordings on the 15th) reaches the top of the scale.
    assert "2026-03-15: 2 recordings, 2.9 KiB</title>" in svg
    assert "<script" not in content


def test_per_day_figures_take_a_constant_number_of_queries(
    account, history, django_assert_num_queries
):
    with django_assert_num_queries(1):
        days = stats.recordings_per_day(account=account)
    assert [d.day.isoformat() for d in days][-1] == "2026-03-15"
    with django_assert_num_queries(1):
        recording_totals(account=account, kind=VIDEO)


def test_rooms_in_progress_are_listed_with_links(console_client, account, other_account):
    live = services.room_create(account=account, unique_name="standup")
    ended = services.room_create(account=account, unique_name="retro")
    services.room_complete(room=ended)
    theirs = services.room_create(account=other_account, unique_name="their-room")
    content = console_client("viewer").get(reverse("home")).content.decode()
    assert f'<a href="{reverse("rooms:detail", args=[live.sid])}">standup</a>' in content
    assert "retro" not in content
    assert theirs.sid not in content


def test_an_empty_account_says_so(console_client):
    content = console_client("viewer").get(reverse("home")).content.decode()
    assert "No room is in progress" in content
    assert table_rows(content) == {
        (NOW.date() - timedelta(days=i)).isoformat(): (0, 0) for i in range(30)
    }


def test_storage_counts_completed_recordings_with_media(console_client, make_completed_recording):
    made = make_completed_recording(media=b"x" * 4096)
    response = console_client("viewer").get(reverse("home"))
    assert response.context["totals"].storage_bytes == made.size == 4096
    assert "4.0 KiB" in response.content.decode()


@pytest.mark.parametrize("role", ["viewer", "member", "admin", "owner"])
def test_every_role_sees_the_dashboard(console_client, role):
    assert console_client(role).get(reverse("home")).status_code == 200


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_user_without_an_account_is_told_so_not_refused(client, db):
    client.force_login(UserFactory())
    response = client.get(reverse("home"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "not a member of any account yet" in content
    assert "<svg" not in content


def test_the_dashboard_shows_only_the_current_account(console_client, other_account, history):
    client = console_client("viewer", in_account=other_account)
    response = client.get(reverse("home"))
    assert response.context["account"] == other_account
    assert response.context["totals"].counts["completed"] == 1
    assert response.context["totals"].storage_bytes == 123_456


# session, user, membership (no-account check, page, layout twice), totals, voice totals,
# composition totals, per day, live rooms, callback health
DASHBOARD_QUERIES = 12


def test_dashboard_queries_do_not_grow_with_data(
    console_client, account, history, django_assert_max_num_queries
):
    client = console_client("member")
    with django_assert_max_num_queries(DASHBOARD_QUERIES):
        assert client.get(reverse("home")).status_code == 200
    for day in range(30):
        recording(account, when=NOW - timedelta(days=day), size=10)
    for i in range(5):
        services.room_create(account=account, unique_name=f"live-{i}")
    with django_assert_max_num_queries(DASHBOARD_QUERIES):
        assert client.get(reverse("home")).status_code == 200


def test_figures_are_shared_for_a_while_then_taken_again(console_client, account, settings):
    """Totals aggregate every row of the account: they are computed once per period, not per
    view, and the page says when they were taken."""
    settings.DASHBOARD_FIGURES_SECONDS = 60
    client = console_client("viewer")
    with time_machine.travel(NOW, tick=False):
        first = client.get(reverse("home")).content.decode()
        RecordingFactory(track__participant__room__account=account, status="completed")
        cached = client.get(reverse("home")).content.decode()
    with time_machine.travel(NOW + timedelta(seconds=61), tick=False):
        fresh = client.get(reverse("home")).content.decode()
    completed = f'href="{reverse("recordings:list")}?status=completed">'
    assert f"{completed}0<" in first and f"{completed}0<" in cached
    assert f"{completed}1<" in fresh
    assert "Figures as of" in cached and NOW.strftime("%Y-%m-%d %H:%M") in cached


def test_voice_recordings_have_their_own_totals(console_client, account, other_account):
    client = console_client("viewer")
    assert 'id="voice-totals-heading"' not in client.get(reverse("home")).content.decode()
    _, kept = simulate_call(account=account, seconds=2)
    _, gone = simulate_call(account=account, seconds=2, seed=1)
    voice_services.voice_recording_delete(recording=gone, actor=SYSTEM)
    simulate_call(account=other_account, seconds=3)
    cache.clear()  # the figures are cached for a while

    response = client.get(reverse("home"))

    totals = {kind.name: figures for kind, figures in response.context["other_totals"]}
    assert list(totals) == ["voice", "composition"]
    voice = totals["voice"]
    assert voice.counts == {"processing": 0, "completed": 1, "absent": 0, "deleted": 1}
    assert voice.storage_bytes == kept.size == 2 * 8000 * 2 + 78
    content = response.content.decode()
    assert "Voice recordings" in content and f"{reverse('voice:list')}?status=deleted" in content
    # What the voice figure leaves out is the voice kind's to say.
    assert "not deleted, renditions not counted)" in content
    # Video figures are the video recordings' alone.
    assert response.context["totals"].total == 0
