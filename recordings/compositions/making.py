"""Make a composition's file from a room's completed recordings (no database writes).

Used by the worker (``services.run``) and the ``compose_room`` command alike.
"""

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from django.conf import settings

from recordings.compositions.exceptions import NotComposable
from recordings.compositions.render import VideoInput, compose
from recordings.compositions.sources import Chosen, choose, fetch, room_media
from recordings.compositions.spec import Spec
from recordings.video.choices import RecordingStatus
from recordings.video.models import Room
from recordings.video.timeline import start_seconds


class Rendered(NamedTuple):
    duration: float  # seconds
    video_sources: int
    audio_sources: int


def _refuse_unless_composable(chosen: Chosen, room: Room) -> None:
    if not chosen:
        raise NotComposable(f"No track of room {room.sid} matches the VideoLayout or AudioSources")
    recordings = [*chosen.video, *chosen.audio]
    encrypted = sorted(r.sid for r in recordings if r.encryption_key)
    if encrypted:
        raise NotComposable(
            f"Encrypted recordings cannot be composed: {', '.join(encrypted[:5])}"
            + (" and more" if len(encrypted) > 5 else "")
        )
    size = sum(r.size or 0 for r in recordings)
    if size > settings.COMPOSITION_MAX_SOURCE_BYTES:
        raise NotComposable(
            f"The selected recordings hold {size:,} bytes; a composition takes at most "
            f"{settings.COMPOSITION_MAX_SOURCE_BYTES:,}"
        )


def sources_check(room: Room, spec: Spec) -> None:
    """Raise NotComposable unless the spec selects some of the room's recordings (completed or
    still to complete), none of them encrypted (Twilio cannot compose those either)."""
    _refuse_unless_composable(choose(list(room_media(room)), spec), room)


def render_room(
    room: Room,
    spec: Spec,
    out_path: Path,
    *,
    progress: Callable[[int], None] | None = None,
) -> Rendered:
    """Compose the room's completed recordings the spec selects into ``out_path``; return the
    file's duration in seconds and how many tracks it holds. Raise NotComposable when nothing
    (or something encrypted) is selected."""
    completed = [
        r for r in room_media(room) if r.status == RecordingStatus.COMPLETED and r.media_key
    ]
    chosen = choose(completed, spec)
    _refuse_unless_composable(chosen, room)
    with tempfile.TemporaryDirectory(prefix="compose-") as tmp:
        folder = Path(tmp)
        video = [
            VideoInput(fetch(r, folder), start_seconds(r), r.track_name, r.track_id)
            for r in chosen.video
        ]
        audio = [(fetch(r, folder), start_seconds(r)) for r in chosen.audio]
        duration = compose(
            video,
            audio,
            layout=spec.regions(),
            resolution=spec.size,
            fmt=spec.format,
            out_path=out_path,
            trim=spec.trim,
            progress=progress,
        )
    return Rendered(duration, video_sources=len(video), audio_sources=len(audio))
