"""Where each video source goes on the canvas: Twilio's default grid, as pure arithmetic.

No Django, no PyAV: the renderer, the API's validation and the tests share these rules.

The grid (Twilio's default region): for N sources, the columns and rows are those that make each
source, scaled to fit its cell at a 4:3 aspect, as large as possible; among equally large, the
grid with fewer empty cells, then the one whose columns:rows is nearest the canvas's aspect. Each
source keeps its own aspect ratio inside its cell, centred, the rest of the cell black
(letterboxed).

Who is shown when (Twilio's ``reuse: show_oldest``, its default): a source is on the canvas from
its media's start to its end. At any time the sources present fill the grid in order of their
start, then SID; when one leaves, the others re-flow into a grid sized for those that remain, so
no cell stays empty for the rest of the room.
"""

import math
import re
from dataclasses import dataclass

MIN_SIDE = 16
MAX_SIDE = 1280
MAX_PIXELS = 921_600  # 1280x720
GRID_ASPECT = 4 / 3  # Twilio sizes grid cells for 4:3 camera video

_RESOLUTION = re.compile(r"(\d+)x(\d+)")


def parse_resolution(value: str) -> tuple[int, int]:
    """Return (width, height) from ``{w}x{h}``; raise ValueError saying what is wrong."""
    match = _RESOLUTION.fullmatch(value.strip())
    if not match:
        raise ValueError(f"Resolution must be WIDTHxHEIGHT (e.g. 640x480), not {value!r}")
    width, height = int(match[1]), int(match[2])
    if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
        raise ValueError(
            f"Resolution {value}: width and height must be between {MIN_SIDE} and {MAX_SIDE}"
        )
    if width * height > MAX_PIXELS:
        raise ValueError(f"Resolution {value}: at most {MAX_PIXELS} pixels (1280x720)")
    return width, height


@dataclass(frozen=True)
class Source:
    """A video source on the room's clock: shown from ``start`` to ``end`` (seconds)."""

    sid: str
    start: float
    end: float
    width: int
    height: int


@dataclass(frozen=True)
class Placement:
    """Where one source is drawn: its scaled picture's top-left corner and size, in pixels."""

    source: Source
    x: int
    y: int
    width: int
    height: int


def grid_shape(count: int, width: int, height: int) -> tuple[int, int]:
    """Return (columns, rows) of the grid for ``count`` sources on a width x height canvas."""

    def rank(columns: int) -> tuple[float, int, float, int]:
        rows = math.ceil(count / columns)
        cell_w, cell_h = width / columns, height / rows
        fitted = min(cell_w, cell_h * GRID_ASPECT) * min(cell_h, cell_w / GRID_ASPECT)
        # Equal sizes: the grid shaped most like the canvas (two side by side on a wide one).
        shape = abs(math.log(columns / rows * height / width))
        return (-fitted, columns * rows - count, shape, columns)

    columns = min(range(1, count + 1), key=rank)
    return columns, math.ceil(count / columns)


def _fit(source: Source, x: int, y: int, cell_w: int, cell_h: int) -> Placement:
    """Scale a source into a cell keeping its aspect ratio, centred; even sizes suit 4:2:0."""
    scale = min(cell_w / source.width, cell_h / source.height)
    w = max(2, int(source.width * scale) // 2 * 2)
    h = max(2, int(source.height * scale) // 2 * 2)
    w, h = min(w, cell_w), min(h, cell_h)
    return Placement(source, x + (cell_w - w) // 2, y + (cell_h - h) // 2, w, h)


def grid(sources: list[Source], width: int, height: int) -> list[Placement]:
    """Place ``sources``, in the given order, row by row in the grid for their number."""
    if not sources:
        return []
    columns, rows = grid_shape(len(sources), width, height)
    placements = []
    for index, source in enumerate(sources):
        row, column = divmod(index, columns)
        x0, x1 = column * width // columns, (column + 1) * width // columns
        y0, y1 = row * height // rows, (row + 1) * height // rows
        placements.append(_fit(source, x0, y0, x1 - x0, y1 - y0))
    return placements


def present(sources: list[Source], t: float) -> list[Source]:
    """Return the sources with media at time ``t``, oldest first (start, then SID)."""
    return sorted((s for s in sources if s.start <= t < s.end), key=lambda s: (s.start, s.sid))


def layout_at(sources: list[Source], t: float, width: int, height: int) -> list[Placement]:
    """Return where each source present at time ``t`` is drawn (``reuse: show_oldest``)."""
    return grid(present(sources, t), width, height)


# --- SHIM until the layout helper lands ---
class LayoutError(ValueError):
    def __init__(self, message):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Region:
    name: str
    video_sources: tuple[str, ...]
    video_sources_excluded: tuple[str, ...] = ()


def parse_video_layout(value, *, resolution):
    if not value:
        return ()
    if not isinstance(value, dict):
        raise LayoutError("VideoLayout must be an object")
    return tuple(
        Region(name, tuple(r.get("video_sources", ())), tuple(r.get("video_sources_excluded", ())))
        for name, r in value.items()
    )


def layout_json(regions):
    return {
        r.name: {
            "video_sources": list(r.video_sources),
            "video_sources_excluded": list(r.video_sources_excluded),
        }
        for r in regions
    }


def default_grid_layout():
    return {"grid": {"video_sources": ["*"]}}
