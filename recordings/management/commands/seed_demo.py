"""Give a fresh installation a demo account with rooms and real, playable recordings (once)."""

import io
import json
import secrets

from django.conf import settings
from django.core.management.base import BaseCommand

from console import services as console_services
from console.roles import Role
from console.services import SYSTEM
from recordings import services
from recordings.choices import Codec, MediaType
from recordings.media.demo import opus_mka, vp8_mkv

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
        for number, identities in enumerate((["Alice", "Bob"], ["Carl", "Dana", "Eve"]), start=1):
            self._demo_room(account, f"demo-room-{number}", identities)
        return {
            "email": DEMO_EMAIL,
            "password": password,
            "account_sid": account.sid,
            "auth_token": account.auth_token,
        }

    def _demo_room(self, account, name: str, identities: list[str]) -> None:
        room = services.room_create(
            account=account, unique_name=name, record_participants_on_connect=True
        )
        for seconds, identity in enumerate(identities, start=3):
            participant = services.participant_connect(room=room, identity=identity)
            for kind, codec, media in (
                (MediaType.AUDIO, Codec.OPUS, opus_mka(seconds, frequency=220 * seconds)),
                (MediaType.VIDEO, Codec.VP8, vp8_mkv(seconds)),
            ):
                track = services.track_publish(
                    participant=participant,
                    name=f"{identity.lower()}-{kind}",
                    kind=kind,
                    codec=codec,
                )
                recording = services.recording_start(track=track)
                services.recording_complete(
                    recording=recording, media=io.BytesIO(media), duration=seconds
                )
        services.recording_delete(recording=recording, actor=SYSTEM)
