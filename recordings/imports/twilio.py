"""What to import from a Twilio-compatible API: every video recording (``/v1/Recordings``, deleted
ones with ``Status=deleted``) and, for ``--voice``, every 2010-04-01 recording, read through the
official ``twilio`` library, each with a fetch that brings its room, participant and media."""

import threading
from collections.abc import Iterator
from concurrent.futures import Future
from datetime import datetime
from functools import partial
from itertools import chain

from twilio.base.exceptions import TwilioRestException

from recordings.imports import video, voice
from recordings.imports.common import ImportRefused, Work
from recordings.imports.source import Source
from recordings.video.choices import RecordingStatus

PAGE_SIZE = 1000
STILL_PROCESSING = "still processing at the source: run the import again once it has completed"


def _window(since: datetime | None, until: datetime | None) -> dict[str, datetime]:
    window = {}
    if since is not None:
        window["date_created_after"] = since
    if until is not None:
        window["date_created_before"] = until
    return window


def _verdict(existing, *, account, meta) -> bool:
    """Already here, or not; a recording the source is still processing cannot be imported yet."""
    if existing(account=account, meta=meta):
        return True
    if meta.status == "processing":
        raise ImportRefused(STILL_PROCESSING)
    return False


class _Directory:
    """The source's rooms and participants, each fetched once per run (shared by the threads)."""

    def __init__(self, source: Source):
        self.client = source.client
        self.lock = threading.Lock()
        self.rooms: dict[str, Future] = {}
        self.participants: dict[str, Future] = {}

    def room(self, sid: str) -> video.RoomMeta:
        return self._once(self.rooms, sid, lambda: self._fetch_room(sid))

    def _fetch_room(self, sid: str) -> video.RoomMeta:
        try:
            r = self.client.video.v1.rooms(sid).fetch()
            return video.RoomMeta(
                sid=sid,
                unique_name=r.unique_name or sid,
                type=r.type or "group",
                date_created=r.date_created,
                end_time=r.end_time,
                audio_only=bool(r.audio_only),
            )
        except TwilioRestException as exc:
            if exc.status != 404:
                raise
            # Gone at the source (Twilio keeps rooms for a while only): name it by its SID.
            return video.RoomMeta(sid=sid, unique_name=sid)

    def participant(self, room_sid: str, sid: str) -> video.ParticipantMeta:
        return self._once(self.participants, sid, lambda: self._fetch_participant(room_sid, sid))

    def _once(self, cache: dict[str, Future], sid: str, fetch):
        """Return ``fetch()`` for this SID, fetched by the first thread that asks; the others
        wait for that one, and threads asking for other SIDs are not held up."""
        with self.lock:
            entry = cache.get(sid)
            mine = entry is None
            if mine:
                entry = cache[sid] = Future()
        if mine:
            try:
                entry.set_result(fetch())
            except BaseException as exc:
                entry.set_exception(exc)
                with self.lock:
                    del cache[sid]  # a later recording of it asks again
        return entry.result()

    def _fetch_participant(self, room_sid: str, sid: str) -> video.ParticipantMeta:
        try:
            p = self.client.video.v1.rooms(room_sid).participants(sid).fetch()
            return video.ParticipantMeta(
                sid=sid,
                identity=p.identity or sid,
                status=p.status or "disconnected",
                date_created=p.date_created,
                end_time=p.end_time,
            )
        except TwilioRestException as exc:
            if exc.status != 404:
                raise
            return video.ParticipantMeta(sid=sid, identity=sid)


def _video_meta(r) -> video.VideoMeta:
    groups = r.grouping_sids or {}
    return video.VideoMeta(
        sid=r.sid,
        status=r.status,
        date_created=r.date_created,
        source_sid=r.source_sid,
        room_sid=groups.get("room_sid"),
        participant_sid=groups.get("participant_sid"),
        track_name=r.track_name or "",
        type=r.type,
        codec=r.codec,
        container_format=r.container_format,
        size=r.size,
        duration=r.duration,
        offset=r.offset,
    )


def _fetch_video(source: Source, directory: _Directory, meta: video.VideoMeta, media_url: str):
    room = directory.room(meta.room_sid)
    participant = directory.participant(meta.room_sid, meta.participant_sid)
    media = None
    if meta.has_media:
        media = source.download(media_url, expected_size=meta.size)
        try:
            video.check_media(meta, media)
        except BaseException:
            media.unlink(missing_ok=True)
            raise
    return {"room": room, "participant": participant, "media": media}


def video_works(
    source: Source,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    include_deleted: bool = False,
) -> Iterator[Work]:
    """Yield every video recording of the source in the window, deleted ones if asked."""
    recordings = source.client.video.v1.recordings
    window = _window(since, until)
    streams = [recordings.stream(page_size=PAGE_SIZE, **window)]
    if include_deleted:
        streams.append(
            recordings.stream(status=RecordingStatus.DELETED, page_size=PAGE_SIZE, **window)
        )
    directory = _Directory(source)
    for r in chain(*streams):
        meta = _video_meta(r)
        yield Work(
            sid=meta.sid,
            meta=meta,
            fetch=partial(_fetch_video, source, directory, meta, (r.links or {}).get("media")),
            write=video.video_recording_write,
            verdict=partial(_verdict, video.existing_verdict),
            lookups=video.video_lookups,
        )


def _voice_meta(r) -> voice.VoiceMeta:
    return voice.VoiceMeta(
        sid=r.sid,
        status=r.status,
        call_sid=r.call_sid,
        conference_sid=r.conference_sid,
        source=r.source,
        channels=r.channels or 1,
        start_time=r.start_time or r.date_created,
        date_created=r.date_created,
        duration=int(r.duration) if r.duration not in (None, "", "-1") else None,
        price=r.price,
        price_unit=r.price_unit,
        error_code=r.error_code,
        encryption_details=r.encryption_details,
    )


def _fetch_voice(source: Source, meta: voice.VoiceMeta, media_url: str):
    if not meta.has_media:
        return {"media_path": None}
    path = source.download(f"{media_url}.wav")
    try:
        voice.check_audio(meta, path)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return {"media_path": path}


def voice_works(
    source: Source,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    include_deleted: bool = False,
) -> Iterator[Work]:
    """Yield every voice recording of the source in the window, deleted ones if asked."""
    recordings = source.client.api.v2010.account.recordings
    stream = recordings.stream(
        include_soft_deleted=include_deleted, page_size=PAGE_SIZE, **_window(since, until)
    )
    for r in stream:
        meta = _voice_meta(r)
        yield Work(
            sid=meta.sid,
            meta=meta,
            fetch=partial(_fetch_voice, source, meta, r.media_url),
            write=voice.voice_recording_write,
            verdict=partial(_verdict, voice.existing_verdict),
            lookups=voice.voice_lookups,
        )
