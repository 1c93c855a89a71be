"""Template helpers of the console: sizes, durations and SIDs for people, the daily chart.

Load with ``{% load roomvault_format %}``.
"""

from collections.abc import Sequence
from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.html import format_html

register = template.Library()

_SIZE_UNITS = ("KiB", "MiB", "GiB", "TiB", "PiB")


@register.filter
def human_size(value) -> str:
    """Render a number of bytes in binary units: ``512 bytes``, ``1.5 MiB``, ``—`` if unknown."""
    if value is None or value == "":
        return "—"
    size = float(value)
    if abs(size) < 1024:
        return "1 byte" if int(size) == 1 else f"{int(size)} bytes"
    for unit in _SIZE_UNITS:
        size /= 1024
        if abs(size) < 1024 or unit == _SIZE_UNITS[-1]:
            return f"{size:.1f} {unit}"
    raise AssertionError("unreachable")


@register.filter
def human_duration(value) -> str:
    """Render seconds as ``m:ss`` under an hour, ``h:mm:ss`` from one; ``—`` if unknown.

    Every page writes durations this way (the Twilio console's clock style), so that a length
    reads the same in a list, on a details page and in a room.
    """
    if value is None or value == "":
        return "—"
    hours, rest = divmod(int(value), 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{seconds:02}" if hours else f"{minutes}:{seconds:02}"


_SID_HEAD, _SID_TAIL = 6, 4


@register.filter
def short_sid(sid) -> str:
    """Render a SID shortened to ``RT1a2b…9f0e`` on screen but whole in the page.

    The middle stays in the text, clipped by the stylesheet (``.sid-fold``): copying the SID,
    finding it with the browser, or hearing it from a screen reader all get the full value, and
    the title shows it on hover.
    """
    if not sid:
        return ""
    text = str(sid)
    if len(text) <= _SID_HEAD + _SID_TAIL + 1:
        return format_html('<code class="sid">{}</code>', text)
    return format_html(
        '<code class="sid" title="{}">{}<span class="sid-fold">{}</span>{}</code>',
        text,
        text[:_SID_HEAD],
        text[_SID_HEAD:-_SID_TAIL],
        text[-_SID_TAIL:],
    )


@register.filter
def seconds_between(start: datetime | None, end: datetime | None) -> int | None:
    """Return the whole seconds from ``start`` to ``end`` (to now if ``end`` is None)."""
    if start is None:
        return None
    return max(0, int(((end or timezone.now()) - start).total_seconds()))


# The daily chart: bars for recordings (left scale), a line for bytes (right scale).
CHART_WIDTH, CHART_HEIGHT = 720, 240
_LEFT, _RIGHT, _TOP, _BOTTOM = 44, 72, 14, 30


def _nice_ceiling(value: float) -> float:
    """Return the least 1, 2 or 5 times a power of ten that is at least ``value``."""
    if value <= 0:
        return 1
    magnitude = 1.0
    while magnitude * 10 <= value:
        magnitude *= 10
    while magnitude > value:
        magnitude /= 10
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


@register.simple_tag
def daily_chart(days: Sequence) -> dict:
    """Return the geometry of the per-day chart of ``stats.recordings_per_day`` for an SVG.

    Everything is computed here so that the template only places shapes at given coordinates.
    """
    plot_w = CHART_WIDTH - _LEFT - _RIGHT
    plot_h = CHART_HEIGHT - _TOP - _BOTTOM
    max_n = _nice_ceiling(max((d.recordings for d in days), default=0))
    max_bytes = _nice_ceiling(max((d.bytes for d in days), default=0))
    slot = plot_w / max(len(days), 1)
    bar_w = max(slot * 0.7, 1)
    bottom = _TOP + plot_h
    bars, points, labels = [], [], []
    for i, day in enumerate(days):
        x = _LEFT + i * slot
        h = plot_h * day.recordings / max_n
        centre = x + slot / 2
        line_y = bottom - plot_h * day.bytes / max_bytes
        bars.append(
            {
                "x": round(x + (slot - bar_w) / 2, 1),
                "y": round(bottom - h, 1),
                "width": round(bar_w, 1),
                "height": round(h, 1),
                "day": day,
            }
        )
        points.append(f"{centre:.1f},{line_y:.1f}")
        # A date under every 7th day, counted back from today so that today is labelled.
        if (len(days) - 1 - i) % 7 == 0:
            labels.append({"x": round(centre, 1), "text": day.day.strftime("%b %d")})
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "left": _LEFT,
        "right": CHART_WIDTH - _RIGHT,
        "top": _TOP,
        "middle": round(_TOP + plot_h / 2, 1),
        "bottom": bottom,
        "label_y": bottom + 18,
        "right_label_x": CHART_WIDTH - _RIGHT + 6,
        "max_recordings": int(max_n),
        "max_bytes": int(max_bytes),
        "bars": bars,
        "first_day": days[0].day if days else None,
        "last_day": days[-1].day if days else None,
        "total_recordings": sum(d.recordings for d in days),
        "total_bytes": sum(d.bytes for d in days),
        "line_points": " ".join(points),
        "x_labels": labels,
    }
