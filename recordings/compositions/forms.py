"""Console forms of the compositions pages. The filter form builds the same ``CompositionFilter``
as the API."""

from django import forms

from console.sids import ANY_SID
from recordings.compositions.choices import CompositionFormat, CompositionStatus
from recordings.compositions.filters import CompositionFilter
from recordings.lifecycle.filters import PAGE_SIZES
from recordings.video.forms import sid_or_name


class CompositionFilterForm(forms.Form):
    """The Compositions Logs filters (all optional; they live in the URL)."""

    sid = forms.CharField(required=False, label="Composition SID", max_length=34)
    room = forms.CharField(required=False, label="Room (SID or unique name)", max_length=128)
    status = forms.ChoiceField(
        required=False,
        choices=[
            ("", "Any but deleted"),
            ("all", "Any, deleted too"),
            *list(CompositionStatus.choices),
        ],
    )
    format = forms.ChoiceField(
        required=False, choices=[("", "Any"), *list(CompositionFormat.choices)]
    )
    date_from = forms.DateTimeField(required=False, label="Created from")
    date_to = forms.DateTimeField(required=False, label="Created before")
    page_size = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=50,  # type: ignore[arg-type]  # stubs: str only
        choices=[(n, n) for n in PAGE_SIZES],
    )

    def clean_sid(self):
        sid = self.cleaned_data["sid"].strip()
        if sid and not (ANY_SID.match(sid) and sid.upper().startswith("CJ")):
            raise forms.ValidationError("A composition SID is CJ followed by 32 hex digits.")
        return sid[:2].upper() + sid[2:].lower()

    def clean_room(self):
        return sid_or_name(self.cleaned_data["room"], prefix="RM", kind="room")

    def filter(self) -> CompositionFilter:
        """Return the filter of the valid form's fields."""
        data = self.cleaned_data
        room = data["room"]
        return CompositionFilter(
            sid=data["sid"] or None,
            room_sid=room if ANY_SID.match(room) else None,
            room_name=None if ANY_SID.match(room) else room or None,
            status=data["status"] if data["status"] not in ("", "all") else None,
            include_deleted=data["status"] == "all",
            format=data["format"] or None,
            date_created_after=data["date_from"],
            date_created_before=data["date_to"],
        )
