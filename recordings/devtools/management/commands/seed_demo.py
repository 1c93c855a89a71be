"""Give a fresh installation a demo account with simulated rooms and calls, and real recordings
(once)."""

import json
import secrets

from django.conf import settings
from django.core.management.base import BaseCommand

from console import services as console_services
from console.roles import Role
from console.services import SYSTEM
from recordings.compositions import services as composition_services
from recordings.compositions.layout import default_grid_layout
from recordings.compositions.spec import spec_clean
from recordings.devtools.simulator import simulate_room
from recordings.devtools.voice_simulator import simulate_call
from recordings.video import services
from recordings.voice import services as voice_services

DEMO_EMAIL = "demo@roomvault.local"


class Command(BaseCommand):
    help = "Create the demo account, login and recordings on first run; print the login each run."

    def handle(self, *args, **options):
        credentials_file = settings.DATA_DIR / "demo-login.json"
        if not credentials_file.exists():
            credentials = self._create_demo()
            credentials_file.write_text(json.dumps(credentials, indent=2))
            credentials_file.chmod(0o600)
        credentials = json.loads(credentials_file.read_text())
        self.stdout.write(
            "\nRoomvault demo\n"
            f"  console:  http://127.0.0.1:8000/  (email {credentials['email']}, "
            f"password {credentials['password']})\n"
            f"  API:      account SID {credentials['account_sid']}, "
            f"auth token {credentials['auth_token']}\n"
            f"  (kept in {credentials_file})\n"
        )

    def _create_demo(self) -> dict[str, str]:
        account = console_services.account_create(friendly_name="Demo")
        password = secrets.token_urlsafe(12)
        console_services.member_set(
            account=account, email=DEMO_EMAIL, password=password, role=Role.OWNER
        )
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
