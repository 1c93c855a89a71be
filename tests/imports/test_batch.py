"""A write batch reads the rows its recordings look up (their SIDs, rooms, participants, tracks)
once for the batch, not once per recording, and still refuses a SID of another account."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from console.sids import new_sid
from recordings.imports import video
from recordings.imports.common import UNSTORABLE, ImportRefused, one_batch
from recordings.media.demo import opus_mka
from recordings.video.models import Participant, Recording, Room, Track
from tests.factories import ParticipantFactory

pytestmark = pytest.mark.django_db

TABLES = [m._meta.db_table for m in (Recording, Room, Participant, Track)]


def recording(tmp_path, *, room: str, participant: str | None = None) -> dict:
    media = tmp_path / f"{new_sid('RT')}.mka"
    media.write_bytes(opus_mka(2))
    meta = video.VideoMeta(
        sid=new_sid("RT"),
        status="completed",
        date_created=timezone.now(),
        source_sid=new_sid("MT"),
        room_sid=room,
        participant_sid=participant or new_sid("PA"),
        track_name="audio",
        type="audio",
        codec="OPUS",
        container_format="mka",
        size=media.stat().st_size,
        duration=2,
        offset=0,
    )
    return {
        "meta": meta,
        "room": video.RoomMeta(sid=room, unique_name="r"),
        "participant": video.ParticipantMeta(sid=meta.participant_sid, identity="p"),
        "media": media,
    }


def write_batch(account, recordings: list[dict]) -> tuple[list, int]:
    """Write these recordings as one batch; return each one's bytes or refusal, and the reads of
    recordings, rooms, participants and tracks it took."""
    results = []
    lookups = (p for r in recordings for p in video.video_lookups(**r))
    with CaptureQueriesContext(connection) as queries, one_batch(account, lookups):
        for r in recordings:
            try:
                results.append(video.video_recording_write(account=account, **r))
            except ImportRefused as exc:
                results.append(exc.reason)
    reads = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("SELECT") and any(f'FROM "{t}"' in q["sql"] for t in TABLES)
    ]
    return results, len(reads)


def test_a_batch_reads_its_rows_once_whatever_its_size(account, tmp_path):
    rooms = new_sid("RM"), new_sid("RM")
    _, few = write_batch(account, [recording(tmp_path, room=rooms[0]) for _ in range(2)])
    _, many = write_batch(account, [recording(tmp_path, room=rooms[1]) for _ in range(8)])

    # Each a query per model, and the room created by the first recording read once more.
    assert many == few == 5
    assert Recording.objects.filter(account=account).count() == 10


def test_a_batch_still_refuses_a_participant_of_another_account(account, other_account, tmp_path):
    theirs = ParticipantFactory(room__account=other_account)
    room = new_sid("RM")
    batch = [recording(tmp_path, room=room) for _ in range(2)]
    batch.insert(1, recording(tmp_path, room=room, participant=theirs.sid))

    results, _ = write_batch(account, batch)

    assert results[1] == UNSTORABLE
    assert all(isinstance(r, int) for r in results[::2])
    assert Participant.objects.get(sid=theirs.sid).account_id == other_account.sid
    assert Recording.objects.filter(account=account).count() == 2
