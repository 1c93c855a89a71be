"""Console forms of the compositions pages. The filter form builds the same ``CompositionFilter``
as the API; the compose and hook forms build ``spec_clean``'s arguments, which check them as the
API's are checked."""

import json
from typing import Any

from django import forms
from django.http import QueryDict

from console.sids import ANY_SID
from recordings.compositions.choices import CompositionFormat, CompositionStatus
from recordings.compositions.filters import CompositionFilter
from recordings.compositions.layout import parse_resolution
from recordings.compositions.models import CompositionHook
from recordings.compositions.presets import FEATURING, RESOLUTIONS, Preset, preset_layout
from recordings.compositions.spec import Spec, spec_clean
from recordings.lifecycle.choices import CallbackMethod
from recordings.lifecycle.filters import PAGE_SIZES
from recordings.lifecycle.forms import LogsFilterForm, name_prefix_field
from recordings.video.forms import name_in_words, sid_or_name


class CompositionFilterForm(LogsFilterForm):
    """The Compositions Logs filters (all optional; they live in the URL)."""

    sid = forms.CharField(required=False, label="Composition SID", max_length=34)
    room = name_prefix_field(label="Room (SID or unique name)", what="A SID, or a name")
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

    def words_room(self, value: str) -> str:
        return name_in_words(value, noun="room", name="name")

    def filter(self) -> CompositionFilter:
        """Return the filter of the valid form's fields."""
        data = self.cleaned_data
        room = data["room"]
        return CompositionFilter(
            sid=data["sid"] or None,
            room_sid=room if ANY_SID.match(room) else None,
            room_name_prefix=None if ANY_SID.match(room) else room or None,
            status=data["status"] if data["status"] not in ("", "all") else None,
            include_deleted=data["status"] == "all",
            format=data["format"] or None,
            date_created_after=data["date_from"],
            date_created_before=data["date_to"],
        )


# The formats by their own names (mp4, webm), as the API spells them.
FORMATS = [(value, value) for value in CompositionFormat.values]


def _resolution_field(extra: str | None = None) -> forms.ChoiceField:
    values = list(RESOLUTIONS) + ([extra] if extra and extra not in RESOLUTIONS else [])
    return forms.ChoiceField(choices=[(v, v) for v in values], initial=RESOLUTIONS[0])


class ComposeForm(forms.Form):
    """Compose one ended room with a preset layout; the speaker or presenter is one of the
    room's participants who published video."""

    preset = forms.ChoiceField(choices=Preset.choices, initial=Preset.GRID, label="Layout")
    participant = forms.ChoiceField(
        required=False,
        label="Speaker or presenter",
        help_text="The participant shown large (speaker + strip) or in the corner (screen share).",
    )
    resolution = _resolution_field()
    format = forms.ChoiceField(choices=FORMATS, initial=CompositionFormat.MP4)

    def __init__(self, *args: Any, publishers: dict[str, list[str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.publishers = publishers
        participant = self.fields["participant"]
        assert isinstance(participant, forms.ChoiceField)
        participant.choices = [("", "—"), *((i, i) for i in publishers)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("preset") in FEATURING and not data.get("participant"):
            self.add_error("participant", "Choose whom this layout features.")
        return data

    def spec(self) -> Spec:
        """Return the valid form's spec: the preset's layout, every audio track; raise
        InvalidComposition as the API would."""
        data = self.cleaned_data
        width, height = parse_resolution(data["resolution"])
        layout = preset_layout(
            data["preset"],
            width=width,
            height=height,
            featured_tracks=self.publishers.get(data["participant"], []),
        )
        return spec_clean(
            video_layout=layout,
            audio_sources=["*"],
            resolution=data["resolution"],
            format=data["format"],
        )


# A hook composes rooms not yet held: no participant to feature, so no speaker preset, and the
# screen preset puts any camera in the corner.
HOOK_PRESETS = [
    (Preset.GRID.value, Preset.GRID.label),
    (Preset.SCREEN.value, "Screen share with a camera in a corner"),
    (Preset.AUDIO.value, Preset.AUDIO.label),
    ("custom", "Custom: the VideoLayout JSON below"),
]


class HookForm(forms.Form):
    """A composition hook: its name, whether it runs, and the template it composes rooms with."""

    friendly_name = forms.CharField(max_length=100, label="Friendly name")
    enabled = forms.BooleanField(required=False, initial=True)
    preset = forms.ChoiceField(choices=HOOK_PRESETS, initial=Preset.GRID, label="Layout")
    video_layout = forms.CharField(
        required=False,
        label="VideoLayout (JSON)",
        widget=forms.Textarea(attrs={"rows": 8, "cols": 60, "spellcheck": "false"}),
        help_text="Used with the custom layout: Twilio's VideoLayout, regions by name.",
    )
    audio_sources = forms.CharField(
        required=False,
        initial="*",
        label="Audio sources",
        help_text="Track names or patterns, separated by spaces; * for every audio track.",
    )
    audio_sources_excluded = forms.CharField(
        required=False, label="Audio sources excluded", help_text="Separated by spaces."
    )
    resolution = _resolution_field()
    format = forms.ChoiceField(choices=FORMATS, initial=CompositionFormat.MP4)
    trim = forms.BooleanField(
        required=False, initial=True, help_text="Cut the stretches where no track has media."
    )
    status_callback = forms.URLField(
        required=False, max_length=1024, label="Status callback URL", assume_scheme="https"
    )
    status_callback_method = forms.ChoiceField(
        choices=CallbackMethod.choices, initial=CallbackMethod.POST, label="Callback method"
    )

    @classmethod
    def of(cls, hook: CompositionHook, data: QueryDict | None = None) -> "HookForm":
        """Return the form editing a hook: its own template as the custom layout."""
        form = cls(
            data,
            initial={
                "friendly_name": hook.friendly_name,
                "enabled": hook.enabled,
                "preset": "custom",
                "video_layout": json.dumps(hook.video_layout, indent=2),
                "audio_sources": " ".join(hook.audio_sources),
                "audio_sources_excluded": " ".join(hook.audio_sources_excluded),
                "resolution": hook.resolution,
                "format": hook.format,
                "trim": hook.trim,
                "status_callback": hook.status_callback or "",
                "status_callback_method": hook.status_callback_method,
            },
        )
        form.fields["resolution"] = _resolution_field(hook.resolution)
        return form

    def spec(self) -> Spec:
        """Return the valid form's spec; raise InvalidComposition as the API would."""
        data = self.cleaned_data
        if data["preset"] == "custom":
            layout: str | dict = data["video_layout"]
        else:
            width, height = parse_resolution(data["resolution"])
            layout = preset_layout(
                data["preset"], width=width, height=height, featured_tracks=["*"]
            )
        return spec_clean(
            video_layout=layout,
            audio_sources=data["audio_sources"].split(),
            audio_sources_excluded=data["audio_sources_excluded"].split(),
            resolution=data["resolution"],
            format=data["format"],
            trim=data["trim"],
            status_callback=data["status_callback"] or None,
            status_callback_method=data["status_callback_method"],
        )
