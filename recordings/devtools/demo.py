"""The demo account ``make run`` gives a fresh installation: a login, named rooms and calls to
try every page on, and a month of history behind them (a few hundred recordings with real
media) so that paging, the dashboard's charts and bulk deletion have something to show.
"""

import json
import random
import secrets
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from console import services as console_services
from console.roles import Role
from console.services import SYSTEM
from recordings.compositions import services as composition_services
from recordings.compositions.layout import default_grid_layout
from recordings.compositions.spec import spec_clean
from recordings.devtools.simulator import simulate_room
from recordings.devtools.voice_simulator import simulate_call
from recordings.video import services
from recordings.video.models import Participant, Recording, Room, Track
from recordings.voice import services as voice_services

DEMO_EMAIL = "demo@roomvault.local"
HISTORY_ROOMS = 60
HISTORY_DAYS = 30
# About one history recording in ten is deleted, as a team's retention would leave them.
DELETED_SHARE = 0.1
_ROOM_NAMES = (
    "design-review",
    "sales-demo",
    "customer-onboarding",
    "support-escalation",
    "all-hands",
    "interview-panel",
    "sprint-planning",
    "board-prep",
)
_PEOPLE = ("Alice", "Bob", "Carl", "Dana", "Eve", "Frank", "Grace", "Heidi", "Ivan", "Judy")


def credentials_file() -> Path:
    return settings.DATA_DIR / "demo-login.json"


def demo_credentials() -> dict[str, str]:
    """Return the demo login, creating the demo account and its data on first use."""
    path = credentials_file()
    if not path.exists():
        credentials = _demo_create()
        path.write_text(json.dumps(credentials, indent=2))
        path.chmod(0o600)
    return json.loads(path.read_text())


def login_text(credentials: dict[str, str], url: str) -> str:
    return (
        "Roomvault demo\n"
        f"  console:  {url}  (email {credentials['email']}, "
        f"password {credentials['password']})\n"
        f"  API:      account SID {credentials['account_sid']}, "
        f"auth token {credentials['auth_token']}\n"
        f"  (kept in {credentials_file()})\n"
    )


def _demo_create() -> dict[str, str]:
    account = console_services.account_create(friendly_name="Demo")
    password = secrets.token_urlsafe(12)
    console_services.member_set(
        account=account, email=DEMO_EMAIL, password=password, role=Role.OWNER
    )
    history_seed(account, rooms=HISTORY_ROOMS)
    weekly, _ = simulate_room(
        account=account,
        identities=["Alice", "Bob", "Carl"],
        screen=["Alice"],
        seconds=6,
        unique_name="weekly-sync",
    )
    _compose(weekly)
    _, recordings = simulate_room(
        account=account,
        identities=["Dana", "Eve"],
        seconds=4,
        audio_only=True,
        unique_name="support-call",
    )
    services.recording_delete(recording=recordings[-1], actor=SYSTEM)
    simulate_room(
        account=account,
        identities=["Frank", "Grace"],
        seconds=5,
        keep_open=True,
        unique_name="standup-live",
    )
    simulate_call(account=account, seconds=20, dual=True)
    simulate_call(
        account=account, seconds=15, pause_at=5, resume_at=9, pause_behavior="skip", seed=1
    )
    _, deleted = simulate_call(account=account, seconds=8, seed=2)
    voice_services.voice_recording_delete(recording=deleted, actor=SYSTEM)
    return {
        "email": DEMO_EMAIL,
        "password": password,
        "account_sid": account.sid,
        "auth_token": account.auth_token,
    }


def history_seed(account, *, rooms: int, seed: int = 2026) -> None:
    """Run ``rooms`` short simulated rooms and spread them over the last ``HISTORY_DAYS`` days,
    deleting some of their recordings: real rows and real (one-second) media, made by the same
    services as live rooms, then moved back in time."""
    rng = random.Random(seed)
    now = timezone.now()
    for n in range(rooms):
        people = rng.sample(_PEOPLE, rng.randint(2, 4))
        room, recordings = simulate_room(
            account=account,
            identities=people,
            screen=people[:1] if rng.random() < 0.2 else (),
            audio_only=rng.random() < 0.25,
            seconds=1,
            unique_name=f"{rng.choice(_ROOM_NAMES)}-{n + 1:02d}",
        )
        started = now - timedelta(days=rng.uniform(1, HISTORY_DAYS), minutes=rng.randint(0, 600))
        _room_move(room, by=started - room.date_created)
        for recording in recordings:
            if rng.random() < DELETED_SHARE:
                services.recording_delete(recording=recording, actor=SYSTEM)


@transaction.atomic
def _room_move(room: Room, *, by: timedelta) -> None:
    """Shift a finished room and everything in it by ``by``, keeping the recordings' ``offset``
    consistent with their new start (players line tracks up from both)."""
    millis = int(by.total_seconds() * 1000)
    Room.objects.filter(pk=room.pk).update(
        date_created=room.date_created + by,
        date_updated=room.date_updated + by,
        end_time=room.end_time + by if room.end_time else None,
        media_offset=room.media_offset + millis,
    )
    for model in (Participant, Track, Recording):
        for row in model.objects.filter(room=room):
            moved = {
                field: getattr(row, field) + by
                for field in ("date_created", "date_updated", "end_time", "date_stopped")
                if getattr(row, field, None) is not None
            }
            if getattr(row, "offset", None) is not None:
                moved["offset"] = row.offset + millis
            model.objects.filter(pk=row.pk).update(**moved)


def _compose(room) -> None:
    """Compose a demo room in a grid, made here rather than by a worker: the Compositions Logs
    show a playable file as soon as the console starts (the task queued too finds it done)."""
    composition = composition_services.composition_create(
        room=room,
        spec=spec_clean(
            video_layout=default_grid_layout(),
            audio_sources=["*"],
            resolution="640x480",
            format="mp4",
        ),
        actor=SYSTEM,
    )
    composition_services.composition_run(sid=composition.sid)
