"""What every recordings list's typed filter shares.

A list is filtered by one frozen dataclass of plain values, built alike by its API parser, its
console form and a stored bulk-deletion selection; its selector takes nothing else. This base
gives each such filter its JSON form, which a ``BulkDeletion`` keeps as its ``selection``.
"""

import dataclasses
import typing
from datetime import datetime
from typing import Any, Self

from django.apps.registry import Apps
from django.http import QueryDict

# The page sizes a console Logs page offers (video and voice alike).
PAGE_SIZES = (25, 50, 100, 200)


@dataclasses.dataclass(frozen=True)
class ListFilter:
    """A list's filter: fields of text, flags, tuples of text and date-times, all optional."""

    def to_json(self) -> dict[str, Any]:
        """Return the fields set away from their defaults as JSON values (ISO 8601 date-times)."""
        data: dict[str, Any] = {}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if value == field.default:
                continue
            if isinstance(value, datetime):
                value = value.isoformat()
            elif isinstance(value, tuple):
                value = list(value)
            data[field.name] = value
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Self:
        """Return the filter ``to_json`` gave; a key it does not know is an error (TypeError), so
        a stored selection never widens silently."""
        hints = typing.get_type_hints(cls)
        values: dict[str, Any] = {}
        for name, value in data.items():
            hint = hints.get(name)
            if value is not None and datetime in (hint, *typing.get_args(hint)):
                value = datetime.fromisoformat(value)
            elif isinstance(value, list):
                value = tuple(value)
            values[name] = value
        return cls(**values)


def bulk_selections_fill(
    apps: Apps, *, product: str, form_class: type, whole_names: dict[str, str] | None = None
) -> None:
    """Store the typed selection of a product's bulk deletions made before it was kept (data
    migration): each job's Logs query, parsed by the product's filter form. An unfinished job
    whose query no longer parses is failed rather than run on a guess.

    ``whole_names`` maps the fields of today's filter that match the start of a name onto those
    matching the whole name, which is what those queries meant: a selection never widens.
    """
    bulk_deletion = apps.get_model("lifecycle", "BulkDeletion")
    jobs = bulk_deletion.objects.filter(product=product, sids__isnull=True, selection__isnull=True)
    for job in jobs.iterator():
        form = form_class(QueryDict(job.query))
        if form.is_valid():
            selection = form.filter().to_json()
            for start, whole in (whole_names or {}).items():
                if start in selection:
                    selection[whole] = selection.pop(start)
            job.selection = selection
            job.save(update_fields=["selection"])
        elif job.status in ("queued", "running"):
            job.status, job.error = "failed", "Its filter is no longer valid."
            job.save(update_fields=["status", "error"])
