"""Rooms pages: the list, a room with its participants, tracks, player and rules editor, and
ending a room.

Every page starts from the caller's account (a foreign SID is a 404) and declares its action;
writes go through ``recordings.video.services``, which audit them.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.views.generic import TemplateView

from console.access import AccountPageMixin, actor_for
from console.roles import Action, role_allows
from recordings.lifecycle.exceptions import RulesNotSupported
from recordings.lifecycle.forms import name_prefix_field
from recordings.twilio_api import keyset
from recordings.twilio_api.errors import TwilioAPIError
from recordings.twilio_api.paging import api_base_url
from recordings.twilio_api.tokens import decode_token, encode_token
from recordings.video import selectors, services, stats
from recordings.video.choices import MediaType, ParticipantStatus, RoomStatus
from recordings.video.filters import RecordingFilter
from recordings.video.models import Recording, Room
from recordings.video.playback import playback_url
from recordings.video.rules import InvalidRules
from recordings.video.services.rooms import GROUP_TYPES
from recordings.video.timeline import start_seconds

PAGE_SIZE = 50
PARTICIPANTS_SHOWN = 100
RECORDINGS_SHOWN = 50
# The room player's tracks at most: a browser decodes every one of them at once.
PLAYER_TRACKS_MAX = 16

# Why a room's recording is not in its player: the reasons ``room_recordings_by_playability``
# counts, then the player's own. Each phrase follows a number ({limit}: PLAYER_TRACKS_MAX).
LEFT_OUT_BECAUSE = {
    "processing": "still being recorded or processed",
    "failed": "failed",
    "deleted": "deleted",
    "encrypted": "encrypted with the account's public key",
    "no_media": "completed without a media file",
    "unplayable": "whose media could not be prepared for a browser",
    "too_many": "beyond the {limit} tracks the player plays together",
}

# The quick actions of the rules editor, each a whole rule list ("participant" is built below).
QUICK_RULES = {
    "record_all": [{"type": "include", "all": True}],
    "stop_all": [{"type": "exclude", "all": True}],
    "audio_only": [{"type": "include", "kind": "audio"}],
}


class RoomFilterForm(forms.Form):
    """The Rooms list filters (optional; they live in the URL)."""

    status = forms.ChoiceField(
        required=False, choices=[("", "Any"), *RoomStatus.choices], label="Status"
    )
    name = name_prefix_field(label="Unique name")

    def selector_kwargs(self) -> dict[str, str]:
        """Return the keywords of ``selectors.room_list`` for the valid filters."""
        kwargs = {
            "status": self.cleaned_data["status"],
            "unique_name_prefix": self.cleaned_data["name"].strip(),
        }
        return {key: value for key, value in kwargs.items() if value}


@dataclass(frozen=True)
class RoomSection:
    """A section an app above video adds to the room page (registered in its ``ready()``, as
    video may not import it): a template included after the recordings, and its context."""

    template_name: str
    context: Callable[[AccountPageMixin, Room], dict]


ROOM_SECTIONS: list[RoomSection] = []


def room_section_register(section: RoomSection) -> None:
    """Add a section to every room page."""
    if section not in ROOM_SECTIONS:
        ROOM_SECTIONS.append(section)


def room_or_404(account, sid: str) -> Room:
    """Return the account's room with this SID, or answer 404 (foreign and unknown alike)."""
    room = selectors.room_get(account=account, sid_or_name=sid)
    if room is None or room.sid != sid:
        raise Http404("No such room")
    return room


def page_cursor(request) -> keyset.Cursor | None:
    """Return the cursor of the page this request asks for (None: the first page)."""
    token = request.GET.get("page")
    try:
        return decode_token(token) if token else None
    except TwilioAPIError:  # a mangled link: start from the top rather than fail
        return None


def page_url(request, row, *, forward: bool) -> str:
    """Return this list's URL, with its filters, for the page past ``row``."""
    params = request.GET.copy()
    params["page"] = encode_token(row, forward=forward)
    return f"?{urlencode(sorted(params.items()))}"


def first_rows(qs, limit: int) -> tuple[list, bool]:
    """Return the first ``limit`` rows of ``qs`` and whether there are more (no COUNT)."""
    rows = list(qs[: limit + 1])
    return rows[:limit], len(rows) > limit


def room_page_context(account, room: Room) -> dict:
    """Return what the room page shows: a constant number of queries whatever the room's size."""
    participants, more_participants = first_rows(
        selectors.participant_list(room=room).prefetch_related("tracks"), PARTICIPANTS_SHOWN
    )
    capturing = {r.track_id: r for r in selectors.recordings_capturing(room=room)}
    recordings, more_recordings = first_rows(
        selectors.recording_list(account=account, filter=RecordingFilter(room_sid=room.sid)),
        RECORDINGS_SHOWN,
    )
    rules_row = selectors.recording_rules_get(room=room)
    in_progress = room.status == RoomStatus.IN_PROGRESS
    editable = room.type in GROUP_TYPES and in_progress
    connected = (
        selectors.participant_list(room=room, status=ParticipantStatus.CONNECTED)
        if editable
        else []
    )
    return {
        "room": room,
        "in_progress": in_progress,
        "participants": participants,
        "more_participants": more_participants,
        "track_rows": [
            (participant, track, capturing.get(track.sid))
            for participant in participants
            for track in sorted(participant.tracks.all(), key=lambda t: (t.date_created, t.sid))
        ],
        "capturing_count": len(capturing),
        "recordings": recordings,
        "more_recordings": more_recordings,
        "rules_json": json.dumps(rules_row.rules, indent=2) if rules_row else None,
        "rules_supported": room.type in GROUP_TYPES,
        "connected_identities": sorted({p.identity for p in connected}),
    }


@dataclass(frozen=True)
class PlayerTrack:
    """A recording in the room player, placed on its timeline."""

    recording: Recording
    url: str
    start: float  # seconds after the first recording's start
    duration: float


def room_player_context(account, room: Room, *, base_url: str) -> dict:
    """Return the room player's tracks on one timeline (from the first recording's start to the
    last one's end), and why the room's other recordings are left out of it."""
    counts = selectors.room_recordings_by_playability(account=account, room=room)
    recordings = list(
        selectors.room_playable_recordings(account=account, room=room)[:PLAYER_TRACKS_MAX]
    )
    # Each from its playback rendition (WebM or MP4, which every browser plays), read in ranges for
    # as long as the page stays open, each request checked against the URL's expiry: signed for
    # the longest time allowed.
    playable = [
        (r, url)
        for r in recordings
        if (url := playback_url(r, base_url=base_url, ttl=settings.MEDIA_URL_TTL_MAX))
    ]
    counts["unplayable"] = len(recordings) - len(playable)
    counts["too_many"] = max(0, counts["playable"] - PLAYER_TRACKS_MAX)
    first = min((start_seconds(r) for r, _ in playable), default=0.0)
    tracks = [
        PlayerTrack(r, url, start_seconds(r) - first, float(r.duration or 0)) for r, url in playable
    ]
    left_out = {reason: counts[reason] for reason in LEFT_OUT_BECAUSE if counts[reason]}
    return {
        "player_video": [t for t in tracks if t.recording.type == MediaType.VIDEO],
        "player_audio": [t for t in tracks if t.recording.type == MediaType.AUDIO],
        "player_identities": list(dict.fromkeys(t.recording.participant.identity for t in tracks)),
        "player_total": max((t.start + t.duration for t in tracks), default=0.0),
        "player_left_out": [
            f"{n} {LEFT_OUT_BECAUSE[reason].format(limit=PLAYER_TRACKS_MAX)}"
            for reason, n in left_out.items()
        ],
        "player_left_out_count": sum(left_out.values()),
    }


class RoomListView(AccountPageMixin, TemplateView):
    """The account's rooms, newest first, filtered and paged by keyset."""

    action = Action.VIEW
    template_name = "recordings/rooms_list.html"

    def get_context_data(self, **kwargs):
        form = RoomFilterForm(self.request.GET)
        filters = form.selector_kwargs() if form.is_valid() else {}
        rooms = stats.with_room_figures(selectors.room_list(account=self.account, **filters))
        page = keyset.keyset_page(rooms, page_size=PAGE_SIZE, cursor=page_cursor(self.request))
        return super().get_context_data(
            form=form,
            filtered=bool(filters),
            page=page,
            next_url=page_url(self.request, page.rows[-1], forward=True)
            if page.rows and page.has_next
            else None,
            previous_url=page_url(self.request, page.rows[0], forward=False)
            if page.rows and page.has_previous
            else None,
            **kwargs,
        )


class RoomDetailView(AccountPageMixin, TemplateView):
    """A room: its fields, participants and tracks, what is recorded now, recordings and rules."""

    action = Action.VIEW
    template_name = "recordings/room_detail.html"

    def get(self, request, sid):
        return self.render_to_response(self.get_context_data(room=room_or_404(self.account, sid)))

    def get_context_data(self, *, room, **kwargs):
        context = room_page_context(self.account, room)
        context["rules_text"] = context["rules_json"] or json.dumps(QUICK_RULES["record_all"])
        context["sections"] = [section.template_name for section in ROOM_SECTIONS]
        # Only a role that may play gets the player, whose media URLs are signed permissions.
        if role_allows(self.membership.role, Action.PLAY):
            context.update(
                room_player_context(self.account, room, base_url=api_base_url(self.request))
            )
        for section in ROOM_SECTIONS:
            context.update(section.context(self, room))
        return super().get_context_data(**{**context, **kwargs})


class RoomRulesView(RoomDetailView):
    """Replace a room's recording rules from a quick action or the JSON editor (POST only)."""

    action = Action.EDIT_RULES
    http_method_names = ["post"]

    def post(self, request, sid):
        room = room_or_404(self.account, sid)
        document = rules_document(request.POST)
        error, index = None, None
        if room.status != RoomStatus.IN_PROGRESS:
            error = f"This room is {room.status}: rules can change only while it is in progress."
        else:
            try:
                services.recording_rules_update(
                    room=room, document=document, actor=actor_for(request)
                )
            except InvalidRules as exc:
                error, index = exc.reason, exc.index
            except RulesNotSupported as exc:
                error = exc.message
        if error is None:
            messages.success(request, "Recording rules updated; recording follows them now.")
            return redirect("rooms:detail", sid=room.sid)
        context = self.get_context_data(
            room=room, rules_error=error, rules_error_index=index, rules_text=document
        )
        return self.render_to_response(context, status=400)


def rules_document(post) -> str:
    """Return the rule list a rules-editor form asks for, as JSON text (as the user gave it)."""
    action = post.get("action", "json")
    if action in QUICK_RULES:
        return json.dumps(QUICK_RULES[action])
    if action == "participant":
        return json.dumps([{"type": "include", "publisher": post.get("publisher", "")}])
    return post.get("rules", "")


class RoomEndView(AccountPageMixin, TemplateView):
    """End a room: a confirmation page (GET), then the end itself (POST)."""

    action = Action.EDIT_RULES
    template_name = "recordings/room_end_confirm.html"

    def get(self, request, sid):
        room = room_or_404(self.account, sid)
        connected = selectors.participant_list(room=room, status=ParticipantStatus.CONNECTED)
        return self.render_to_response(
            self.get_context_data(
                room=room,
                in_progress=room.status == RoomStatus.IN_PROGRESS,
                connected_count=connected.count(),
                capturing_count=len(selectors.recordings_capturing(room=room)),
            )
        )

    def post(self, request, sid):
        room = room_or_404(self.account, sid)
        if room.status != RoomStatus.IN_PROGRESS:
            messages.info(request, f"Room {room.unique_name} had already ended.")
        else:
            services.room_complete(room=room, actor=actor_for(request))
            messages.success(request, f"Room {room.unique_name} ended; its recordings stopped.")
        return redirect("rooms:detail", sid=room.sid)
