"""Console forms of the voice pages. The filter form builds the same ``VoiceRecordingFilter`` as
the API."""

from django import forms

from console.sids import ANY_SID
from recordings.lifecycle.filters import PAGE_SIZES
from recordings.lifecycle.forms import LogsFilterForm
from recordings.voice.choices import RecordingSource, VoiceRecordingStatus
from recordings.voice.filters import VoiceRecordingFilter


def _sid(value: str, prefix: str, noun: str) -> str:
    value = value.strip()
    if value and not (ANY_SID.match(value) and value.startswith(prefix)):
        raise forms.ValidationError(f"A {noun} SID is {prefix} followed by 32 hex digits.")
    # SIDs are stored with lowercase hex; people paste either case.
    return value[:2] + value[2:].lower()


class VoiceRecordingFilterForm(LogsFilterForm):
    """The Voice Recordings Logs filters (all optional; they live in the URL)."""

    sid = forms.CharField(required=False, label="Recording SID", max_length=34)
    call = forms.CharField(required=False, label="Call SID", max_length=34)
    conference = forms.CharField(required=False, label="Conference SID", max_length=34)
    status = forms.ChoiceField(
        required=False,
        choices=[
            ("", "Any but deleted"),
            ("all", "Any, deleted too"),
            *list(VoiceRecordingStatus.choices),
        ],
    )
    source = forms.ChoiceField(required=False, choices=[("", "Any"), *RecordingSource.choices])
    date_from = forms.DateTimeField(required=False, label="Created from")
    date_to = forms.DateTimeField(required=False, label="Created before")
    page_size = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=50, choices=[(n, n) for n in PAGE_SIZES]
    )

    def clean_sid(self):
        return _sid(self.cleaned_data["sid"], "RE", "recording")

    def clean_call(self):
        return _sid(self.cleaned_data["call"], "CA", "call")

    def clean_conference(self):
        return _sid(self.cleaned_data["conference"], "CF", "conference")

    def filter(self) -> VoiceRecordingFilter:
        """Return the filter of the valid form's fields."""
        data = self.cleaned_data
        return VoiceRecordingFilter(
            sid=data["sid"] or None,
            call_sid=data["call"] or None,
            conference_sid=data["conference"] or None,
            status=data["status"] if data["status"] not in ("", "all") else None,
            include_deleted=data["status"] == "all",
            source=data["source"] or None,
            date_created_after=data["date_from"],
            date_created_before=data["date_to"],
        )
