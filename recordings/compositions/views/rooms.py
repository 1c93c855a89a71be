"""The room page's Compositions section: the room's compositions (in flight with their
progress) and, for an ended Group Room, the form composing it."""

from django.contrib import messages
from django.shortcuts import redirect

from console.access import AccountPageMixin, actor_for
from console.roles import Action, role_allows
from recordings.compositions import selectors, services
from recordings.compositions.forms import ComposeForm
from recordings.compositions.services.compositions import COMPOSABLE_ROOM_TYPES
from recordings.compositions.views.logs import REFRESH_SECONDS
from recordings.lifecycle.exceptions import ServiceError
from recordings.video.choices import RoomStatus
from recordings.video.models import Room
from recordings.video.views.rooms import RoomDetailView, RoomSection, room_or_404

COMPOSITIONS_SHOWN = 20


def room_section_context(view: AccountPageMixin, room: Room) -> dict:
    """Return what the room page's Compositions section shows."""
    compositions = selectors.compositions_of_room(
        account=view.account, room=room, limit=COMPOSITIONS_SHOWN
    )
    in_flight = any(c.status in selectors.IN_FLIGHT for c in compositions)
    composable = room.type in COMPOSABLE_ROOM_TYPES and room.status == RoomStatus.COMPLETED
    can_compose = composable and role_allows(view.membership.role, Action.EDIT_RULES)
    return {
        "compositions": compositions,
        "compositions_in_flight": in_flight,
        "composable": composable,
        "compose_form": ComposeForm(publishers=selectors.room_video_publishers(room=room))
        if can_compose
        else None,
        "refresh_seconds": REFRESH_SECONDS if in_flight else 0,
    }


ROOM_SECTION = RoomSection("compositions/room_section.html", room_section_context)


class ComposeView(RoomDetailView):
    """Compose an ended room with a preset layout (POST only); errors show on the room page."""

    action = Action.EDIT_RULES
    http_method_names = ["post"]

    def post(self, request, sid):
        room = room_or_404(self.account, sid)
        form = ComposeForm(request.POST, publishers=selectors.room_video_publishers(room=room))
        if form.is_valid():
            try:
                composition = services.composition_create(
                    room=services.composable_room(account=self.account, room_sid=room.sid),
                    spec=form.spec(),
                    actor=actor_for(request),
                )
            except ServiceError as exc:  # InvalidComposition, NotComposable, CallbackUrlRefused
                form.add_error(None, exc.message)
            else:
                messages.success(request, f"Composition {composition.sid} was queued.")
                return redirect("rooms:detail", sid=room.sid)
        context = self.get_context_data(room=room, compose_form=form, refresh_seconds=0)
        return self.render_to_response(context, status=400)
