"""Console forms of the recordings pages. The filter form builds the same ``RecordingFilter`` as
the API."""

from django import forms

from console.sids import ANY_SID
from recordings.lifecycle.filters import PAGE_SIZES
from recordings.lifecycle.forms import LogsFilterForm, name_prefix_field
from recordings.video.choices import Codec, MediaType, RecordingStatus
from recordings.video.filters import RecordingFilter


def sid_or_name(value: str, *, prefix: str, kind: str) -> str:
    """Return a SID in its stored spelling (people paste either case), or a name as typed;
    refuse a SID of another kind, which would otherwise filter silently to nothing."""
    value = value.strip()
    if not ANY_SID.match(value):
        return value
    if value[:2].upper() != prefix:
        raise forms.ValidationError(f"A {kind} SID is {prefix} followed by 32 hex digits.")
    return prefix + value[2:].lower()


def name_in_words(value: str, *, noun: str, name: str) -> str:
    """Say a SID-or-name filter (``sid_or_name``): a SID exactly, a name as the start it is."""
    if ANY_SID.match(value):
        return f"{noun} {value}"
    return f"{noun} {name} starting with “{value}” (any case)"


class RecordingFilterForm(LogsFilterForm):
    """The Recordings Logs filters (all optional; they live in the URL)."""

    sid = forms.CharField(required=False, label="Recording SID", max_length=34)
    room = name_prefix_field(label="Room (SID or unique name)", what="A SID, or a name")
    participant = name_prefix_field(
        label="Participant (SID or identity)", what="A SID, or an identity"
    )
    track = forms.CharField(required=False, label="Track name", max_length=128)
    status = forms.ChoiceField(
        required=False,
        choices=[
            ("", "Any but deleted"),
            ("all", "Any, deleted too"),
            *list(RecordingStatus.choices),
        ],
    )
    type = forms.ChoiceField(required=False, choices=[("", "Any"), *list(MediaType.choices)])
    codec = forms.ChoiceField(required=False, choices=[("", "Any"), *list(Codec.choices)])
    date_from = forms.DateTimeField(required=False, label="Created from")
    date_to = forms.DateTimeField(required=False, label="Created before")
    page_size = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=50, choices=[(n, n) for n in PAGE_SIZES]
    )

    def clean_sid(self):
        sid = self.cleaned_data["sid"].strip()
        if sid and not (ANY_SID.match(sid) and sid.startswith("RT")):
            raise forms.ValidationError("A recording SID is RT followed by 32 hex digits.")
        # SIDs are stored with lowercase hex; people paste either case.
        return sid[:2] + sid[2:].lower()

    def clean_room(self):
        return sid_or_name(self.cleaned_data["room"], prefix="RM", kind="room")

    def clean_participant(self):
        return sid_or_name(self.cleaned_data["participant"], prefix="PA", kind="participant")

    def words_room(self, value: str) -> str:
        return name_in_words(value, noun="room", name="name")

    def words_participant(self, value: str) -> str:
        return name_in_words(value, noun="participant", name="identity")

    def filter(self) -> RecordingFilter:
        """Return the filter of the valid form's fields (a room or participant given by the
        start of its name, or by SID as a grouping SID)."""
        data = self.cleaned_data
        room, participant = data["room"], data["participant"]
        return RecordingFilter(
            sid=data["sid"] or None,
            status=data["status"] if data["status"] not in ("", "all") else None,
            include_deleted=data["status"] == "all",
            media_type=data["type"] or None,
            codec=data["codec"] or None,
            track_name=data["track"].strip() or None,
            room_name_prefix=None if ANY_SID.match(room) else room or None,
            participant_identity_prefix=(
                None if ANY_SID.match(participant) else participant or None
            ),
            grouping_sids=tuple(v for v in (room, participant) if ANY_SID.match(v)),
            date_created_after=data["date_from"],
            date_created_before=data["date_to"],
        )
