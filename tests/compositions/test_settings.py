"""Composition settings: encrypted compositions, and settings checked as recording settings are."""

import io

import av
import pytest

from console.services import SYSTEM
from recordings.compositions import services
from recordings.compositions.models import Composition
from recordings.compositions.spec import spec_clean
from recordings.devtools.simulator import simulate_room
from recordings.media.encryption import decrypt_stream
from recordings.media.store import get_media_store
from recordings.video.services.settings import InvalidSetting
from tests.factories import PublicKeyFactory, rsa_private_key

pytestmark = pytest.mark.django_db


def test_an_encrypted_composition_decrypts_to_a_playable_file(account, tmp_path):
    key = PublicKeyFactory(account=account)
    services.composition_settings_update(
        account=account, friendly_name="sealed", encryption_key_sid=key.sid, encryption_enabled=True
    )
    room, _ = simulate_room(account=account, identities=["a"], seconds=1)
    composition = services.composition_create(
        room=room, spec=spec_clean(audio_sources=["*"], format="mp4"), actor=SYSTEM
    )

    services.composition_run(sid=composition.sid)

    composition = Composition.objects.get(pk=composition.pk)
    assert composition.encryption_key == key.sid
    with get_media_store().open(composition.media_key) as stored:
        sealed = stored.read()
    assert not sealed.startswith(b"\x00\x00\x00") and b"ftyp" not in sealed[:64]
    plain = tmp_path / "plain.mp4"
    with plain.open("wb") as out:
        decrypt_stream(io.BytesIO(sealed), out, rsa_private_key())
    with av.open(str(plain)) as container:
        assert [s.codec_context.name for s in container.streams] == ["aac"]
        assert container.duration / av.time_base == pytest.approx(1.0, abs=0.2)


def test_another_accounts_key_cannot_be_named(account, other_account):
    foreign = PublicKeyFactory(account=other_account)

    with pytest.raises(InvalidSetting, match="is not a public key of this account"):
        services.composition_settings_update(
            account=account, encryption_key_sid=foreign.sid, encryption_enabled=True
        )


def test_settings_do_not_touch_the_recording_settings(account):
    services.composition_settings_update(account=account, friendly_name="compositions only")

    assert not hasattr(account, "recording_settings") or (
        account.recording_settings.friendly_name != "compositions only"
    )
    assert account.composition_settings.friendly_name == "compositions only"
