"""A room's recordings as a composition's sources: which are chosen, and their media fetched.

Where each starts on the room's clock is video's ``timeline.start_seconds``.
"""

import shutil
from dataclasses import dataclass
from pathlib import Path

from django.db.models import QuerySet

from recordings.compositions.selection import select
from recordings.compositions.spec import Spec
from recordings.video.choices import MediaType, RecordingStatus
from recordings.video.media import media_store_for
from recordings.video.models import Recording, Room


@dataclass(frozen=True)
class Chosen:
    """The recordings a composition is made of."""

    video: list[Recording]
    audio: list[Recording]

    def __bool__(self) -> bool:
        return bool(self.video or self.audio)


def room_media(room: Room) -> QuerySet[Recording]:
    """Return a room's recordings of audio and video that are or will be media, oldest first."""
    return (
        Recording.objects.filter(account_id=room.account_id, room=room)
        .exclude(type=MediaType.DATA)
        .exclude(status__in=(RecordingStatus.DELETED, RecordingStatus.FAILED))
        .order_by("date_created", "sid")
    )


def choose(recordings: list[Recording], spec: Spec) -> Chosen:
    """Return the recordings the spec selects: video by its layout's regions, audio by
    AudioSources less AudioSourcesExcluded (track names with ``*``, or track SIDs)."""
    video = [r for r in recordings if r.type == MediaType.VIDEO]
    audio = [r for r in recordings if r.type == MediaType.AUDIO]
    shown = {
        r.sid
        for region in spec.regions()
        for r in select(
            video, region.video_sources, region.video_sources_excluded, identity=_identity
        )
    }
    return Chosen(
        video=[r for r in video if r.sid in shown],
        audio=select(audio, spec.audio_sources, spec.audio_sources_excluded, identity=_identity),
    )


def _identity(recording: Recording) -> tuple[str, tuple[str, str]]:
    # A pattern names a track by its name, or exactly by the recording's or the track's SID.
    return recording.track_name, (recording.sid, recording.track_id)


def fetch(recording: Recording, folder: Path) -> Path:
    """Copy a recording's media from its store into ``folder``, streamed, named by its SID."""
    path = folder / f"{recording.sid}.{recording.container_format}"
    with media_store_for(recording).open(recording.media_key) as source, path.open("wb") as out:
        shutil.copyfileobj(source, out, 1024 * 1024)
    return path
