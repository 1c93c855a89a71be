"""Compositions as a kind the lifecycle deletes, purges and sweeps (registered in ready())."""

from recordings.compositions import selectors
from recordings.compositions.choices import CompositionStatus
from recordings.compositions.forms import CompositionFilterForm
from recordings.compositions.models import Composition
from recordings.lifecycle.bulk import FormSelection
from recordings.lifecycle.exceptions import RecordingStillProcessing
from recordings.lifecycle.kinds import RecordingKind, media_files_in_our_store

COMPOSITION = RecordingKind(
    name="composition",
    prefix="CJ",
    model=Composition,
    statuses=tuple(CompositionStatus.values),
    deletable=frozenset({CompositionStatus.COMPLETED, CompositionStatus.FAILED}),
    retention_setting="COMPOSITION_RETENTION_DAYS",
    noun="composition",
    list_url_name="compositions:list",
    audit_action="composition.delete",
    selection_of=FormSelection(CompositionFilterForm),
    matching=selectors.compositions_matching,
    media_files=media_files_in_our_store,
    describe=lambda c: f"composition of {c.room_id}",
    hold_fields={"room": "room_sid"},
    refusal=lambda c: RecordingStillProcessing(
        f"Composition {c.sid} is still {c.status} and cannot be deleted yet"
    ),
)
