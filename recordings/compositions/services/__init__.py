"""The compositions' business rules: create and delete (``compositions``), the worker's run
(``run``), hooks (``hooks``) and settings (``settings``)."""

from recordings.compositions.services.compositions import (
    composable_room,
    composition_create,
    composition_delete,
)
from recordings.compositions.services.hooks import (
    hook_create,
    hook_delete,
    hook_update,
    on_room_ended,
)
from recordings.compositions.services.run import Outcome, composition_restart, composition_run
from recordings.compositions.services.settings import composition_settings_update

__all__ = [
    "Outcome",
    "composable_room",
    "composition_create",
    "composition_delete",
    "composition_restart",
    "composition_run",
    "composition_settings_update",
    "hook_create",
    "hook_delete",
    "hook_update",
    "on_room_ended",
]
