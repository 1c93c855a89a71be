"""The console's layout presets, as Twilio VideoLayout JSON that ``spec.spec_clean`` checks.

No database. Positions are pixels of the composition's canvas, as in Twilio's regions.
"""

from django.db import models

from recordings.compositions.layout import default_grid_layout

# The resolutions the console offers (the API takes any Twilio allows).
RESOLUTIONS = ("640x480", "1280x720", "1024x576", "320x240")
# The share of the canvas the speaker takes above the strip of the others.
SPEAKER_SHARE = 3 / 4
# The picture-in-picture camera: this fraction of each side, this far from the corner.
PIP_SHARE = 1 / 4
PIP_MARGIN = 1 / 32
# Twilio's default name pattern of screen-share tracks in our rooms.
SCREEN_TRACKS = "screen*"


class Preset(models.TextChoices):
    GRID = "grid", "Grid: every video in a grid"
    SPEAKER = "speaker", "Speaker + strip: one participant big, the others below"
    SCREEN = "screen", "Screen share with the presenter's camera in a corner"
    AUDIO = "audio", "Audio only"


# The presets that feature one participant (the speaker, or the screen's presenter).
FEATURING = frozenset({Preset.SPEAKER, Preset.SCREEN})


def speaker_layout(width: int, height: int, speaker_tracks: list[str]) -> dict:
    """Return the speaker's tracks large on top and every other video in a one-row strip."""
    top = round(height * SPEAKER_SHARE)
    return {
        "speaker": {
            "x_pos": 0,
            "y_pos": 0,
            "z_pos": 1,
            "width": width,
            "height": top,
            "max_columns": 1,
            "max_rows": 1,
            "reuse": "show_newest",
            "video_sources": speaker_tracks,
        },
        "strip": {
            "x_pos": 0,
            "y_pos": top,
            "z_pos": 1,
            "width": width,
            "height": height - top,
            "max_rows": 1,
            "reuse": "show_oldest",
            "video_sources": ["*"],
            "video_sources_excluded": speaker_tracks,
        },
    }


def screen_layout(width: int, height: int, presenter_tracks: list[str]) -> dict:
    """Return the screen share over the whole canvas, the presenter's camera small in the
    bottom-right corner above it."""
    pip_w, pip_h = round(width * PIP_SHARE), round(height * PIP_SHARE)
    margin = round(min(width, height) * PIP_MARGIN)
    return {
        "screen": {
            "x_pos": 0,
            "y_pos": 0,
            "z_pos": 1,
            "width": width,
            "height": height,
            "max_columns": 1,
            "max_rows": 1,
            "reuse": "show_newest",
            "video_sources": [SCREEN_TRACKS],
        },
        "presenter": {
            "x_pos": width - pip_w - margin,
            "y_pos": height - pip_h - margin,
            "z_pos": 2,
            "width": pip_w,
            "height": pip_h,
            "max_columns": 1,
            "max_rows": 1,
            "reuse": "show_newest",
            "video_sources": presenter_tracks,
            "video_sources_excluded": [SCREEN_TRACKS],
        },
    }


def preset_layout(
    preset: str, *, width: int, height: int, featured_tracks: list[str] | None = None
) -> dict:
    """Return a preset's VideoLayout (empty for audio only); ``featured_tracks`` are the
    speaker's or presenter's video tracks (names or SIDs)."""
    if preset == Preset.SPEAKER:
        return speaker_layout(width, height, featured_tracks or [])
    if preset == Preset.SCREEN:
        return screen_layout(width, height, featured_tracks or [])
    if preset == Preset.AUDIO:
        return {}
    return default_grid_layout()
