"""The kinds of recording the lifecycle handles, registered by the domain apps that own them.

A domain app (video, voice, …) describes its recordings once, as a ``RecordingKind``, and
registers it in its ``AppConfig.ready()``. Deletion (single and bulk), the retention purge, the
media sweep and drift check, and the dashboard loop over the registry: this package never imports
a domain app, and a new kind of recording is one more registration.
"""

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from django.conf import settings
from django.db.models import Model, QuerySet

from recordings.lifecycle.exceptions import ServiceError

# Every kind spells these two so: the purge's partial index, the sweeps and the drift check rely
# on it (``register`` checks).
COMPLETED = "completed"
DELETED = "deleted"

# (sid, account SID, media_key, keys of the files in our store): what a recording's media is.
MediaFiles = tuple[str, str, str, list[str]]

# A kind's model: its describe and refusal take its own recordings. The lifecycle holds kinds of
# every model (``RecordingKind[Any]``) and reads the fields all of them share by name.
R = TypeVar("R", bound=Model)


class Selection(Protocol):
    """A kind's Logs filter as bulk deletion reads it (``bulk.form_selection``)."""

    def __call__(self, query: str) -> dict:
        """Return a Logs filter query as the typed filter's JSON a bulk job stores (raise
        InvalidBulkSelection for a filter that is not valid)."""
        ...

    def in_words(self, query: str, *, plural: str) -> str:
        """Return what a Logs filter query selects, said with the page's own labels."""
        ...


@dataclass(frozen=True)
class RecordingKind(Generic[R]):
    """What the lifecycle needs to know about one kind of recording."""

    name: str  # the BulkDeletion.product value
    prefix: str  # the two letters of its SIDs
    model: type[R]
    statuses: tuple[str, ...]  # every status, in the order the dashboard shows them
    deletable: frozenset[str]  # the statuses a delete (single or bulk) accepts
    retention_setting: str  # the setting naming its retention after deletion, in days
    noun: str  # "recording", "voice recording": audit and page texts
    list_url_name: str  # its console Logs page
    audit_action: str  # the audit action of a single delete
    # A Logs filter query as the typed filter's JSON a bulk job stores, and in words; the
    # account's recordings such a stored selection covers, as its Logs page reads them ({}: no
    # filter).
    selection_of: Selection
    matching: Callable[..., QuerySet]  # (account=…, selection=…)
    # Each recording's media files in our store, for rows with a media_key.
    media_files: Callable[[QuerySet], Iterable[MediaFiles]]
    # The audit's description of one recording, and the error refusing to delete it.
    describe: Callable[[R], str]
    refusal: Callable[[R], ServiceError]
    # What the dashboard's storage figure leaves out for this kind, said beside it.
    storage_note: str = ""
    # The legal hold scopes (``LegalHold.Scope``) that cover this kind, each as the field of its
    # typed filter that the hold's value sets: a room hold is {"room": "room_sid"}. Every kind is
    # covered by a hold on a filter of its own Logs.
    hold_fields: Mapping[str, str] = field(default_factory=dict, hash=False)

    @property
    def retention_days(self) -> int:
        return getattr(settings, self.retention_setting)

    @property
    def plural(self) -> str:
        return f"{self.noun}s"

    def can_delete(self, status: str) -> bool:
        """Tell whether a recording in this status may be deleted now."""
        return status in self.deletable


def media_files_in_our_store(recordings: QuerySet) -> Iterator[MediaFiles]:
    """A kind's ``media_files`` where a row names one file, in our store unless the row has a
    ``media_external_location``: a file in an account's own bucket is the account's, which
    Roomvault only ever writes to."""
    rows = recordings.values_list("sid", "account_id", "media_key", "media_external_location")
    for sid, account, key, external in rows.iterator(chunk_size=5000):
        yield sid, account, key, [] if external else [key]


_KINDS: dict[str, RecordingKind[Any]] = {}


def register(kind: RecordingKind[Any]) -> None:
    """Add a kind to the registry (again is a no-op: ``ready()`` may run twice in tests)."""
    known = _KINDS.get(kind.name)
    if known is not None and known.prefix == kind.prefix and known.model is kind.model:
        _KINDS[kind.name] = kind
        return
    if known is not None or any(k.prefix == kind.prefix for k in _KINDS.values()):
        raise ValueError(f"A recording kind named {kind.name} or with SIDs {kind.prefix} exists")
    if not {COMPLETED, DELETED, *kind.deletable} <= set(kind.statuses):
        raise ValueError(f"Kind {kind.name}: its statuses lack {COMPLETED}, {DELETED} or more")
    _KINDS[kind.name] = kind


def kind_of(name: str) -> RecordingKind[Any]:
    """Return the kind registered under this name (KeyError for an unknown one)."""
    return _KINDS[name]


def kind_for_sid(sid: str) -> RecordingKind[Any] | None:
    """Return the kind whose SIDs start like this one, or None."""
    return next((k for k in _KINDS.values() if sid[:2] == k.prefix), None)


def kinds() -> Iterator[RecordingKind[Any]]:
    """Yield every registered kind, in registration order."""
    return iter(tuple(_KINDS.values()))
