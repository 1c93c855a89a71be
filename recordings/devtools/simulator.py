"""A whole Group Room driven through the same services as the ingest API, with real media.

Roomvault plays the media server of a simulated room: when one of its recordings stops, real
OPUS/VP8 Matroska media of the room's ``simulated_seconds`` is made and ingested like an upload.
"""

import time
from collections.abc import Mapping, Sequence

from django.utils import timezone

from console.models import Account
from console.services import SYSTEM, Actor
from recordings.video import selectors, services
from recordings.video.choices import Codec, MediaType, RecordingStatus
from recordings.video.models import Recording, Room


def simulate_room(
    *,
    account: Account,
    identities: Sequence[str],
    seconds: int = 5,
    audio_only: bool = False,
    screen: Sequence[str] = (),
    joins_after: Mapping[str, float] | None = None,
    keep_open: bool = False,
    unique_name: str | None = None,
    status_callback: str | None = None,
    actor: Actor = SYSTEM,
) -> tuple[Room, list[Recording]]:
    """Run a record-on-connect room: everyone joins and publishes, then (unless kept open) the
    room ends and every recording completes with real media. Returns the room and its recordings.

    ``joins_after`` maps identities to the seconds after the room's start at which they join
    (the others join at once): their recordings start that much later on the room's clock.
    """
    room = services.room_create(
        account=account,
        unique_name=unique_name or f"simulated-{timezone.now():%Y%m%d-%H%M%S-%f}",
        record_participants_on_connect=True,
        audio_only=audio_only,
        status_callback=status_callback,
        simulated_seconds=seconds,
        actor=actor,
    )
    joins_after = joins_after or {}
    opened = time.monotonic()
    for identity in sorted(identities, key=lambda i: joins_after.get(i, 0)):
        # A recording starts when its track is published (the room's clock is the wall clock).
        time.sleep(max(0.0, joins_after.get(identity, 0) - (time.monotonic() - opened)))
        participant = services.participant_connect(room=room, identity=identity)
        tracks = [(f"{identity}-audio", MediaType.AUDIO, Codec.OPUS)]
        if not audio_only:
            tracks.append((f"{identity}-cam", MediaType.VIDEO, Codec.VP8))
            if identity in screen:
                tracks.append(("screen", MediaType.VIDEO, Codec.VP8))
        for name, kind, codec in tracks:
            services.track_publish(participant=participant, name=name, kind=kind, codec=codec)
    recordings = list(selectors.recordings_capturing(room=room))
    if not keep_open:
        services.room_complete(room=room, actor=actor)
        # Make the media here rather than wait for a worker: the files exist when this returns.
        # A task queued by the stop may be storing the same media now (uploads are stored before
        # the row is locked): this one then gives way, and waits for that one to record it.
        for recording in recordings:
            services.recording_simulate_media(recording_sid=recording.sid)
        _wait_recorded(recordings)
        room.refresh_from_db()
    return room, [Recording.objects.get(pk=r.pk) for r in recordings]


def _wait_recorded(recordings: Sequence[Recording], timeout: float = 30.0) -> None:
    """Wait until no recording is still processing (another writer is committing its media)."""
    deadline = time.monotonic() + timeout
    pending = Recording.objects.filter(
        pk__in=[r.pk for r in recordings], status=RecordingStatus.PROCESSING
    )
    while pending.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
