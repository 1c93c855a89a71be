"""What to compose, checked once: a composition's request or a hook's template.

The renderer and the API share the layout's rules (``layout``) and the track-name patterns
(``selection``); this module only ties the request's fields together: a layout or audio sources
must be given, the resolution must be one Twilio takes, the callback URL one we may call.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from recordings.compositions.choices import CompositionFormat
from recordings.compositions.exceptions import InvalidComposition
from recordings.compositions.layout import (
    MAX_PATTERN_LENGTH,
    MAX_PATTERNS,
    LayoutError,
    Region,
    layout_json,
    parse_resolution,
    parse_video_layout,
)
from recordings.lifecycle.choices import CallbackMethod
from recordings.lifecycle.delivery import callback_url_check


@dataclass(frozen=True)
class Spec:
    """A checked composition request, in the model's field names and stored forms."""

    video_layout: dict
    audio_sources: list[str] = field(default_factory=list)
    audio_sources_excluded: list[str] = field(default_factory=list)
    resolution: str = "640x480"
    format: str = CompositionFormat.WEBM
    trim: bool = True
    status_callback: str | None = None
    status_callback_method: str = CallbackMethod.POST

    def fields(self) -> dict[str, object]:
        return dict(self.__dict__)

    @property
    def size(self) -> tuple[int, int]:
        return parse_resolution(self.resolution)

    def regions(self) -> tuple[Region, ...]:
        return parse_video_layout(self.video_layout, resolution=self.size)


def spec_of(row: Any) -> Spec:
    """Return the spec a composition or hook row was made with."""
    return Spec(**{name: getattr(row, name) for name in Spec.__dataclass_fields__})


def _patterns(parameter: str, values: Sequence[str]) -> list[str]:
    patterns = [v for v in values if v != ""]
    if len(patterns) > MAX_PATTERNS:
        raise InvalidComposition(parameter, f"at most {MAX_PATTERNS} track names")
    for value in patterns:
        if len(value) > MAX_PATTERN_LENGTH or not value.isprintable():
            raise InvalidComposition(
                parameter,
                f"{value[:40]!r} is not a track name (printable, up to {MAX_PATTERN_LENGTH})",
            )
    return list(dict.fromkeys(patterns))


def spec_clean(
    *,
    video_layout: str | dict | None = None,
    audio_sources: Sequence[str] = (),
    audio_sources_excluded: Sequence[str] = (),
    resolution: str | None = None,
    format: str | None = None,
    trim: bool | None = None,
    status_callback: str | None = None,
    status_callback_method: str | None = None,
) -> Spec:
    """Return the checked spec of a request; raise InvalidComposition naming the first bad
    parameter (CallbackUrlRefused for a callback URL we never call)."""
    resolution = resolution or "640x480"
    try:
        size = parse_resolution(resolution)
    except ValueError as exc:
        raise InvalidComposition("Resolution", str(exc)) from None
    if isinstance(video_layout, str) and video_layout.strip():
        try:
            video_layout = json.loads(video_layout)
        except ValueError:
            raise InvalidComposition("VideoLayout", "is not a JSON object") from None
    try:
        regions = parse_video_layout(video_layout or None, resolution=size)
    except LayoutError as exc:
        raise InvalidComposition("VideoLayout", exc.message.removeprefix("VideoLayout ")) from None
    audio = _patterns("AudioSources", audio_sources)
    excluded = _patterns("AudioSourcesExcluded", audio_sources_excluded)
    if not regions and not audio:
        raise InvalidComposition(
            "VideoLayout", "a VideoLayout with video_sources or AudioSources must be given"
        )
    if format is not None and format not in CompositionFormat.values:
        raise InvalidComposition("Format", "must be mp4 or webm")
    callback_url_check(status_callback)
    return Spec(
        video_layout=layout_json(regions),
        audio_sources=audio,
        audio_sources_excluded=excluded,
        resolution=f"{size[0]}x{size[1]}",
        format=format or CompositionFormat.WEBM,
        trim=True if trim is None else trim,
        status_callback=status_callback or None,
        status_callback_method=status_callback_method or CallbackMethod.POST,
    )
