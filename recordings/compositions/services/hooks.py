"""Composition hooks: templates that compose every Group Room of the account when it ends."""

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from console.models import Account
from console.services import SYSTEM, Actor, audit_record
from recordings.compositions import selectors
from recordings.compositions.callbacks import hook_failed_enqueue
from recordings.compositions.exceptions import HookNameInUse, NotComposable
from recordings.compositions.models import CompositionHook
from recordings.compositions.services.compositions import (
    COMPOSABLE_ROOM_TYPES,
    composition_create,
)
from recordings.compositions.sources import room_media
from recordings.compositions.spec import Spec, spec_of
from recordings.video.models import Room

logger = logging.getLogger(__name__)


def _saved(hook: CompositionHook) -> CompositionHook:
    try:
        with transaction.atomic():
            hook.save()
    except IntegrityError:
        raise HookNameInUse(
            f"A composition hook named {hook.friendly_name!r} exists in this account"
        ) from None
    return hook


@transaction.atomic
def hook_create(
    *, account: Account, friendly_name: str, enabled: bool, spec: Spec, actor: Actor
) -> CompositionHook:
    """Create a hook; raise HookNameInUse if the account has one of this name."""
    now = timezone.now()
    hook = _saved(
        CompositionHook(
            account=account,
            friendly_name=friendly_name,
            enabled=enabled,
            date_created=now,
            date_updated=now,
            **spec.fields(),
        )
    )
    _audit(hook, "composition_hook.create", actor)
    return hook


@transaction.atomic
def hook_update(
    *,
    hook: CompositionHook,
    friendly_name: str,
    enabled: bool | None,
    spec: Spec | None,
    actor: Actor,
) -> CompositionHook:
    """Rename a hook, enable or disable it, and replace its template when ``spec`` is given."""
    hook.friendly_name = friendly_name
    if enabled is not None:
        hook.enabled = enabled
    for name, value in (spec.fields() if spec is not None else {}).items():
        setattr(hook, name, value)
    hook.date_updated = timezone.now()
    _saved(hook)
    _audit(hook, "composition_hook.update", actor)
    return hook


@transaction.atomic
def hook_delete(*, hook: CompositionHook, actor: Actor) -> None:
    """Delete a hook; the compositions it created stay."""
    _audit(hook, "composition_hook.delete", actor)
    hook.delete()


def _audit(hook: CompositionHook, action: str, actor: Actor) -> None:
    state = "enabled" if hook.enabled else "disabled"
    audit_record(
        account=hook.account,
        actor=actor,
        action=action,
        object_sid=hook.sid,
        object_repr=f"{hook.friendly_name} ({state})"[:255],
    )


def on_room_ended(sender: object, *, room: Room, **kwargs: object) -> None:
    """Compose an ended Group Room with each enabled hook of its account (``room_ended``).

    Runs in the transaction that ends the room. A hook that cannot compose this room (no track
    matches its template, or they are encrypted) calls its composition-hook-failed back instead.
    """
    if room.type not in COMPOSABLE_ROOM_TYPES or not room_media(room).exists():
        return  # Twilio composes the Group Rooms that made at least one recording
    for hook in selectors.hooks_enabled(account_id=room.account_id):
        try:
            with transaction.atomic():
                composition_create(room=room, spec=spec_of(hook), actor=SYSTEM, hook_sid=hook.sid)
        except NotComposable as exc:
            hook_failed_enqueue(hook=hook, room_sid=room.sid, reason=exc.message)
