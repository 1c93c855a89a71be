"""What to import from a folder: video recordings exported as one JSON document per recording, in
the shape ``GET /v1/Recordings/{Sid}`` returns, with its media file beside it.

The folder is searched recursively; hidden files and folders (a leading dot) are passed over.

- ``RT….json``: a recording (the file is named after its ``sid``). A completed one needs its media,
  ``RT….mka`` or ``RT….mkv``, in the same folder; a deleted or failed one is imported as metadata
  only (a media file beside it is not read); a processing one is refused.
- ``RM….json`` (the ``/v1/Rooms`` resource) and ``PA….json`` (its ``Participants`` resource),
  anywhere in the folder, optional: without them a room is named by its SID and a participant's
  identity is its SID.
- Any other JSON file is passed over. A ``.mka``/``.mkv`` file not named after a recording, or
  named after one that has no document, is reported as a failure, as is a folder that cannot be
  read.

Every problem of a document (malformed JSON, a missing field, a wrong type or value, a missing
media file) fails that one recording with a reason naming the file; the run goes on. The
document's ``account_sid`` is not read: the recordings go into the account the import is for,
whichever account they were exported from.
"""

import json
import os
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import NoReturn

from django.utils.dateparse import parse_datetime

from console.sids import is_sid
from recordings.imports import video
from recordings.imports.checks import (
    BIGINT,
    IDENTITY_LENGTH,
    POSITIVE_INT,
    ROOM_NAME_LENGTH,
    TRACK_NAME_LENGTH,
)
from recordings.imports.common import ImportRefused, Work
from recordings.imports.models import ImportItem
from recordings.video.choices import (
    CONTAINER_FOR_TYPE,
    Codec,
    ContainerFormat,
    ParticipantStatus,
    RecordingStatus,
    RoomType,
)

MEDIA_SUFFIXES = (".mka", ".mkv")
STILL_PROCESSING = "still processing when exported: export it again once it has completed"
NOT_A_RECORDING = (
    "not named after a recording SID (RT + 32 hex digits), so it has no metadata document"
)
# What a file that names no recording is reported under must fit an item's SID.
KEY_LENGTH = ImportItem._meta.get_field("sid").max_length


class _Fields:
    """A document's JSON object, read field by field; every read refuses with a reason naming the
    file and the field."""

    def __init__(self, name: str, fields: dict, prefix: str = ""):
        self.name, self.fields, self.prefix = name, fields, prefix

    @classmethod
    def read(cls, name: str, path: Path) -> "_Fields":
        try:
            fields = json.loads(path.read_bytes())
        except OSError as exc:
            raise ImportRefused(f"{name}: unreadable ({exc.strerror})") from None
        except ValueError as exc:  # JSONDecodeError, or bytes that are not UTF-8
            raise ImportRefused(f"{name}: malformed JSON ({exc})") from None
        if not isinstance(fields, dict):
            raise ImportRefused(f"{name}: not a JSON object")
        return cls(name, fields)

    def refuse(self, key: str, problem: str) -> NoReturn:
        raise ImportRefused(f"{self.name}: '{self.prefix}{key}' {problem}")

    def _get(self, key: str, kind: type, what: str, required: bool):
        if key not in self.fields:
            if required:
                self.refuse(key, "is missing")
            return None
        value = self.fields[key]
        if value is None and not required:
            return None
        # JSON true and false are Python ints too.
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            self.refuse(key, f"must be {what}, not {json.dumps(value)[:40]}")
        return value

    def string(
        self,
        key: str,
        *,
        required: bool = True,
        choices: list[str] | None = None,
        sid: str | None = None,
        max_length: int | None = None,
    ) -> str | None:
        value = self._get(key, str, "a string", required)
        if value is None:
            return None
        if choices is not None and value not in choices:
            self.refuse(key, f"must be one of {', '.join(choices)}, not {value!r}")
        if sid is not None and not is_sid(value, sid):
            self.refuse(key, f"must be {sid} followed by 32 hex digits, not {value[:40]!r}")
        if max_length is not None and len(value) > max_length:
            self.refuse(key, f"is longer than {max_length} characters")
        return value

    def integer(
        self, key: str, *, required: bool = True, minimum: int = 0, below: int = BIGINT
    ) -> int | None:
        value = self._get(key, int, "an integer", required)
        if value is not None and not minimum <= value < below:
            self.refuse(key, f"must be from {minimum} to {below - 1}, not {value}")
        return value

    def boolean(self, key: str) -> bool:
        return bool(self._get(key, bool, "true or false", required=False))

    def moment(self, key: str, *, required: bool = True):
        value = self._get(key, str, "a date-time", required)
        if value is None:
            return None
        try:
            moment = parse_datetime(value)
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            self.refuse(
                key, f"must be a date-time with its zone, like 2024-01-31T12:00:00Z, not {value!r}"
            )
        return moment

    def object(self, key: str) -> "_Fields":
        return _Fields(self.name, self._get(key, dict, "an object", True), f"{key}.")


def _recording_meta(doc: _Fields, sid: str) -> video.VideoMeta:
    if doc.string("sid", sid="RT") != sid:
        doc.refuse("sid", f"is not {sid}, the file's name")
    status = doc.string("status", choices=RecordingStatus.values)
    groups = doc.object("grouping_sids")
    kind = doc.string("type", choices=list(CONTAINER_FOR_TYPE))
    container = doc.string("container_format", choices=ContainerFormat.values)
    if container != CONTAINER_FOR_TYPE[kind]:
        doc.refuse("container_format", f"must be {CONTAINER_FOR_TYPE[kind]} for {kind}")
    return video.VideoMeta(
        sid=sid,
        status=status,
        date_created=doc.moment("date_created"),
        source_sid=doc.string("source_sid", sid="MT"),
        room_sid=groups.string("room_sid", sid="RM"),
        participant_sid=groups.string("participant_sid", sid="PA"),
        track_name=doc.string("track_name", required=False, max_length=TRACK_NAME_LENGTH) or "",
        type=kind,
        codec=doc.string("codec", choices=Codec.values),
        container_format=container,
        # Its media's size is checked against it, so a completed recording must say it.
        size=doc.integer("size", required=status == RecordingStatus.COMPLETED),
        duration=doc.integer("duration", required=False, below=POSITIVE_INT),
        offset=doc.integer("offset", required=False, minimum=-BIGINT),
        date_deleted=doc.moment("date_deleted", required=False),
    )


def _room_meta(doc: _Fields, sid: str) -> video.RoomMeta:
    if doc.string("sid", sid="RM") != sid:
        doc.refuse("sid", f"is not {sid}, the file's name")
    return video.RoomMeta(
        sid=sid,
        unique_name=doc.string("unique_name", required=False, max_length=ROOM_NAME_LENGTH) or sid,
        type=doc.string("type", required=False, choices=RoomType.values) or RoomType.GROUP,
        date_created=doc.moment("date_created", required=False),
        end_time=doc.moment("end_time", required=False),
        audio_only=doc.boolean("audio_only"),
    )


def _participant_meta(doc: _Fields, sid: str) -> video.ParticipantMeta:
    if doc.string("sid", sid="PA") != sid:
        doc.refuse("sid", f"is not {sid}, the file's name")
    return video.ParticipantMeta(
        sid=sid,
        identity=doc.string("identity", required=False, max_length=IDENTITY_LENGTH) or sid,
        status=doc.string("status", required=False, choices=ParticipantStatus.values)
        or ParticipantStatus.DISCONNECTED,
        date_created=doc.moment("date_created", required=False),
        end_time=doc.moment("end_time", required=False),
    )


class _Folder:
    """The folder's documents and media files, by SID."""

    def __init__(self, root: Path):
        self.root = root
        self.documents: dict[str, dict[str, list[Path]]] = {
            prefix: defaultdict(list) for prefix in ("RT", "RM", "PA")
        }
        self.media: dict[str, list[Path]] = defaultdict(list)
        # Files (and folders) that belong to no recording, each with what is wrong with it.
        self.strays: list[tuple[Path, str]] = []

        def unreadable(exc: OSError):
            self.strays.append((Path(exc.filename), f"unreadable ({exc.strerror})"))

        for directory, folders, files in os.walk(root, onerror=unreadable):
            # macOS leaves a hidden ._ twin beside every file it copies to a foreign disk.
            folders[:] = sorted(f for f in folders if not f.startswith("."))
            for file in sorted(f for f in files if not f.startswith(".")):
                path = Path(directory, file)
                stem, suffix = path.stem, path.suffix.lower()
                if suffix == ".json" and is_sid(stem) and stem[:2] in self.documents:
                    self.documents[stem[:2]][stem].append(path)
                elif suffix in MEDIA_SUFFIXES:
                    if is_sid(stem, "RT"):
                        self.media[stem].append(path)
                    else:
                        self.strays.append((path, NOT_A_RECORDING))
        self.rooms = self._parse("RM", _room_meta)
        self.participants = self._parse("PA", _participant_meta)

    def name(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def document(self, prefix: str, sid: str) -> tuple[Path, _Fields] | None:
        """Return the one document of this SID (None without one); refuse when there are more."""
        paths = self.documents[prefix].get(sid, [])
        if len(paths) > 1:
            raise ImportRefused(
                f"{len(paths)} documents of {sid}: {', '.join(map(self.name, paths))}"
            )
        return (paths[0], _Fields.read(self.name(paths[0]), paths[0])) if paths else None

    def _parse(self, prefix: str, parse) -> dict[str, object]:
        """Return each room's (or participant's) metadata, or the reason its document is bad (for
        the recordings that need it to fail with)."""
        parsed = {}
        for sid in self.documents[prefix]:
            try:
                parsed[sid] = parse(self.document(prefix, sid)[1], sid)
            except ImportRefused as exc:
                parsed[sid] = exc.reason
        return parsed

    def room(self, sid: str) -> video.RoomMeta:
        return self._known(self.rooms.get(sid) or video.RoomMeta(sid=sid, unique_name=sid))

    def participant(self, sid: str) -> video.ParticipantMeta:
        return self._known(
            self.participants.get(sid) or video.ParticipantMeta(sid=sid, identity=sid)
        )

    @staticmethod
    def _known(meta):
        if isinstance(meta, str):
            raise ImportRefused(meta)
        return meta

    def stray_key(self, path: Path) -> str:
        """Return what a file or folder that names no recording is reported under: its path, or
        the end of it where the path is too long for an item's SID."""
        name = self.name(path)
        return name if len(name) <= KEY_LENGTH else "…" + name[1 - KEY_LENGTH :]


def _check_size(meta: video.VideoMeta, size: int) -> None:
    if size != meta.size:
        raise ImportRefused(f"media size {size} bytes, but the recording says {meta.size}")


def _fetch(
    meta: video.VideoMeta,
    room: video.RoomMeta,
    participant: video.ParticipantMeta,
    media: Path | None,
) -> dict:
    """Copy the media to a temporary file and check the copy; return the writer's arguments.

    A copy because the run deletes the media file a fetch hands it once written (a download's
    temporary file), and the folder's must stay; it is also what gets checked and stored, whatever
    happens to the folder meanwhile.
    """
    copy = None
    if media is not None:
        fd, name = tempfile.mkstemp(prefix="roomvault-import-")
        os.close(fd)
        copy = Path(name)
        try:
            shutil.copyfile(media, copy)
            _check_size(meta, copy.stat().st_size)
            video.check_media(meta, copy)
        except OSError as exc:
            copy.unlink(missing_ok=True)
            raise ImportRefused(f"media not copied ({exc.strerror})") from None
        except BaseException:
            copy.unlink(missing_ok=True)
            raise
    return {"room": room, "participant": participant, "media": copy}


def _failing(sid: str, meta: video.VideoMeta | None, reason: str) -> Work:
    """Return a work that fails with ``reason``, unless its recording is already here (then there
    is nothing to fetch, so nothing can be missing)."""

    def verdict(*, account, meta):
        if meta is not None and video.existing_verdict(account=account, meta=meta):
            return True
        raise ImportRefused(reason)

    def refuse(**_):
        raise ImportRefused(reason)

    return Work(sid=sid, meta=meta, fetch=refuse, write=refuse, verdict=verdict)


def _recording_work(folder: _Folder, sid: str) -> Work:
    found = folder.document("RT", sid)
    if found is None:
        names = ", ".join(map(folder.name, folder.media.get(sid, [])))
        raise ImportRefused(f"{names}: no metadata document {sid}.json beside it")
    path, doc = found
    meta = _recording_meta(doc, sid)
    try:
        if meta.status == RecordingStatus.PROCESSING:
            raise ImportRefused(STILL_PROCESSING)
        room = folder.room(meta.room_sid)
        participant = folder.participant(meta.participant_sid)
        media = None
        if meta.has_media:
            beside = [m for m in folder.media.get(sid, []) if m.parent == path.parent]
            if len(beside) != 1:
                raise ImportRefused(
                    f"{folder.name(path)}: expected one media file {sid}.mka or {sid}.mkv beside "
                    f"it, found {len(beside)}"
                )
            media = beside[0]
            _check_size(meta, media.stat().st_size)
    except ImportRefused as exc:
        return _failing(sid, meta, exc.reason)
    except OSError as exc:  # a dangling link, say
        return _failing(sid, meta, f"{folder.name(media)}: unreadable ({exc.strerror})")
    return Work(
        sid=sid,
        meta=meta,
        fetch=partial(_fetch, meta, room, participant, media),
        write=video.video_recording_write,
        verdict=video.existing_verdict,
        lookups=video.video_lookups,
    )


def folder_works(root: Path) -> Iterator[Work]:
    """Yield every recording of the folder (searched recursively) in SID order, then a failing
    work for each media file not named after a recording and each folder that cannot be read.

    A recording that cannot be imported (a bad document, its media missing) comes as a work that
    fails with the reason, so that dry runs report it too.
    """
    folder = _Folder(root)
    for sid in sorted(folder.documents["RT"].keys() | folder.media.keys()):
        try:
            work = _recording_work(folder, sid)
        except ImportRefused as exc:
            work = _failing(sid, None, exc.reason)
        yield work
    for path, problem in folder.strays:
        yield _failing(folder.stray_key(path), None, f"{folder.name(path)}: {problem}")
