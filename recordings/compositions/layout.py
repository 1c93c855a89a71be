"""Where each video source goes on the canvas: Twilio's VideoLayout regions, as pure arithmetic.

No Django, no PyAV: the renderer, the API's validation and the tests share these rules.

A layout is regions (``parse_video_layout``), each a rectangle of the canvas (``x_pos``,
``y_pos``, ``width``, ``height``) laid out as a grid. A region shows the video sources that some
``video_sources`` pattern names and no ``video_sources_excluded`` pattern does (see
``selection``). A source named by several regions is shown in each of them: Twilio's examples
keep a presenter out of the other regions with ``video_sources_excluded``, which only has a point
if it would otherwise be shown twice. Regions are drawn by ``z_pos``, then in the layout's order,
later ones on top.

The grid of a region: for N sources, the columns and rows are those that make each source,
scaled to fit its cell at a 4:3 aspect, as large as possible; among equally large, the grid with
fewer empty cells, then the one whose columns:rows is nearest the region's aspect. ``max_columns``
and ``max_rows`` bound it (unbounded by default); the cells in ``cells_excluded`` (numbered from 0,
left to right, then top to bottom, in the grid of that moment) are left empty and the sources take
the next cells. Each source keeps its own aspect ratio inside its cell, centred, the rest of the
cell black (letterboxed). A region holds as many sources as its usable cells when both bounds are
given, else any number.

Who is shown when (``reuse``): a source is present from its media's start to its end; a region's
sources are ordered by start, then SID.
- ``show_oldest`` (Twilio's default): the region shows the oldest sources present that fit; a
  newcomer to a full region waits for a place. When one leaves, the others re-flow into a grid
  sized for those that remain, so no cell stays empty for the rest of the room.
- ``show_newest``: as ``show_oldest``, but a full region shows the newest sources present: a
  newcomer takes the place of the oldest, which comes back if a newer one leaves.
- ``none``: each source gets its own cell at its start, in order, and keeps it; a cell is never
  given to another source, even after its source has left, and nothing re-flows. The grid is sized
  once for every source the region will take; a source that finds no cell left is never shown.
Each is a function of the sources present at a time: the renderer's ``placements_at`` computes
the placements once for each stretch between two sources' starts or ends.

Where Twilio's docs are silent we chose, and say so here: region names are 1-64 letters, digits,
``_``, ``-`` or ``.``; at most ``MAX_REGIONS`` regions; a region must lie inside the canvas;
``width``, ``height``, ``max_columns`` and ``max_rows`` of 0 mean "not given" (Twilio echoes them
so, and a client may post the echo back); ``max_columns``/``max_rows`` are 1-1000; at most
``MAX_PATTERNS`` patterns per list and ``MAX_PATTERNS`` excluded cells. ``layout_json`` is the
layout as the API shows it: every key of every region, the defaults filled in (0 for the four
above when not given), as Twilio's example response does.
"""

import bisect
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from recordings.compositions.selection import select

MIN_SIDE = 16
MAX_SIDE = 1280
MAX_PIXELS = 921_600  # 1280x720
GRID_ASPECT = 4 / 3  # Twilio sizes grid cells for 4:3 camera video

MAX_REGIONS = 20
MAX_PATTERNS = 100
MAX_PATTERN_LENGTH = 128  # a track name's length
MAX_GRID = 1000  # max_columns and max_rows
Z_RANGE = (-99, 99)
Reuse = Literal["none", "show_oldest", "show_newest"]
REUSE: tuple[str, ...] = get_args(Reuse)

_RESOLUTION = re.compile(r"(\d+)x(\d+)")
_REGION_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")


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


class LayoutError(ValueError):
    """A VideoLayout that cannot be composed; ``message`` says which part and why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Source:
    """A video source on the room's clock: shown from ``start`` to ``end`` (seconds).

    ``sid`` names it in placements (and matches a pattern that is that SID), ``name`` is its
    track's name and ``track_sid`` its track's SID, which patterns also match.
    """

    sid: str
    start: float
    end: float
    width: int
    height: int
    name: str = ""
    track_sid: str = ""


@dataclass(frozen=True)
class Placement:
    """Where one source is drawn: its scaled picture's top-left corner and size, in pixels."""

    source: Source
    x: int
    y: int
    width: int
    height: int


@dataclass(frozen=True)
class Region:
    """One region of a VideoLayout; ``None`` sizes and bounds mean "not given" (see module)."""

    name: str
    video_sources: tuple[str, ...]
    video_sources_excluded: tuple[str, ...] = ()
    reuse: Reuse = "show_oldest"
    x_pos: int = 0
    y_pos: int = 0
    z_pos: int = 0
    width: int | None = None  # to the canvas's right edge
    height: int | None = None  # to the canvas's bottom edge
    max_columns: int | None = None
    max_rows: int | None = None
    cells_excluded: tuple[int, ...] = ()

    def box(self, resolution: tuple[int, int]) -> tuple[int, int, int, int]:
        """Return the region's (x, y, width, height) on a canvas of ``resolution``."""
        canvas_w, canvas_h = resolution
        width = self.width if self.width is not None else canvas_w - self.x_pos
        height = self.height if self.height is not None else canvas_h - self.y_pos
        return self.x_pos, self.y_pos, width, height

    def capacity(self) -> int | None:
        """Return how many sources the region can show at once, or None for any number."""
        if self.max_columns is None or self.max_rows is None:
            return None
        cells = self.max_columns * self.max_rows
        return cells - sum(1 for cell in set(self.cells_excluded) if cell < cells)


DEFAULT_LAYOUT = (Region("grid", video_sources=("*",)),)


def default_grid_layout() -> dict[str, Any]:
    """Return Twilio's default layout, one grid of every video source, as the API takes it."""
    return {"grid": {"video_sources": ["*"]}}


# --- Parsing and validation ------------------------------------------------------------------

_KEYS = {
    "video_sources",
    "video_sources_excluded",
    "reuse",
    "x_pos",
    "y_pos",
    "z_pos",
    "width",
    "height",
    "max_columns",
    "max_rows",
    "cells_excluded",
}


def _not_given(value: object) -> bool:
    """Return whether a size or bound is left to its default: absent, or 0 as Twilio echoes it."""
    return value is None or (type(value) is int and value == 0)


def _integer(where: str, key: str, value: object, low: int, high: int) -> int:
    # `type(...) is int`: bool is an int to Python, never to a client.
    if type(value) is not int or not low <= value <= high:
        raise LayoutError(f"{where}: {key} must be an integer between {low} and {high}")
    return value


def _size(where: str, key: str, value: object, high: int) -> int | None:
    """Return a width or height: None when not given, else MIN_SIDE..high."""
    if _not_given(value):
        return None
    if type(value) is not int or not MIN_SIDE <= value <= high:
        raise LayoutError(
            f"{where}: {key} must be between {MIN_SIDE} and {high} "
            "(or 0 for the rest of the canvas)"
        )
    return value


def _bound(where: str, key: str, value: object) -> int | None:
    """Return max_columns or max_rows: None when not given, else 1..MAX_GRID."""
    return None if _not_given(value) else _integer(where, key, value, 1, MAX_GRID)


def _patterns(where: str, key: str, value: object, *, required: bool) -> tuple[str, ...]:
    if value is None and not required:
        return ()
    if (
        not isinstance(value, list)
        or not all(isinstance(p, str) and 0 < len(p) <= MAX_PATTERN_LENGTH for p in value)
        or len(value) > MAX_PATTERNS
    ):
        raise LayoutError(
            f"{where}: {key} must be a list of at most {MAX_PATTERNS} track names "
            f"(1 to {MAX_PATTERN_LENGTH} characters each)"
        )
    if required and not value:
        raise LayoutError(f"{where}: {key} must name at least one track")
    return tuple(value)


def _region(name: str, spec: object, resolution: tuple[int, int]) -> Region:
    """Return the region ``name`` of a VideoLayout, every value checked."""
    where = f'VideoLayout region "{name}"'
    if not _REGION_NAME.fullmatch(name):
        raise LayoutError(
            f"{where}: a region name must be 1 to 64 letters, digits, '_', '-' or '.'"
        )
    if not isinstance(spec, dict):
        raise LayoutError(f"{where}: must be an object")
    unknown = sorted(set(spec) - _KEYS)
    if unknown:
        raise LayoutError(f'{where}: unknown key "{unknown[0]}"')
    canvas_w, canvas_h = resolution
    reuse = spec.get("reuse", "show_oldest")
    if reuse not in REUSE:
        raise LayoutError(f"{where}: reuse must be one of {', '.join(REUSE)}")
    x_pos = _integer(where, "x_pos", spec.get("x_pos", 0), 0, canvas_w - MIN_SIDE)
    y_pos = _integer(where, "y_pos", spec.get("y_pos", 0), 0, canvas_h - MIN_SIDE)
    width = _size(where, "width", spec.get("width"), MAX_SIDE)
    height = _size(where, "height", spec.get("height"), MAX_SIDE)
    for key, pos, size, canvas in (
        ("width", x_pos, width, canvas_w),
        ("height", y_pos, height, canvas_h),
    ):
        if size is not None and pos + size > canvas:
            axis = "x_pos" if key == "width" else "y_pos"
            raise LayoutError(
                f"{where}: {axis} + {key} must be at most the canvas's {key} {canvas}, "
                f"not {pos + size}"
            )
    cells = spec.get("cells_excluded", [])
    if (
        not isinstance(cells, list)
        or len(cells) > MAX_PATTERNS
        or not all(type(c) is int and c >= 0 for c in cells)
    ):
        raise LayoutError(
            f"{where}: cells_excluded must be a list of at most {MAX_PATTERNS} cell numbers "
            "(integers from 0)"
        )
    return Region(
        name=name,
        video_sources=_patterns(where, "video_sources", spec.get("video_sources"), required=True),
        video_sources_excluded=_patterns(
            where, "video_sources_excluded", spec.get("video_sources_excluded"), required=False
        ),
        reuse=reuse,
        x_pos=x_pos,
        y_pos=y_pos,
        z_pos=_integer(where, "z_pos", spec.get("z_pos", 0), *Z_RANGE),
        width=width,
        height=height,
        max_columns=_bound(where, "max_columns", spec.get("max_columns")),
        max_rows=_bound(where, "max_rows", spec.get("max_rows")),
        cells_excluded=tuple(sorted(set(cells))),
    )


def parse_video_layout(
    value: str | dict[str, Any] | None, *, resolution: tuple[int, int]
) -> tuple[Region, ...]:
    """Return the regions of a VideoLayout (JSON text or its object), in the given order.

    None, "" and {} are a layout without video. Raise LayoutError naming the first problem.
    """
    if isinstance(value, str):
        if not value.strip():
            return ()
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise LayoutError(f"VideoLayout must be a JSON object: {exc}") from exc
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise LayoutError("VideoLayout must be a JSON object of regions")
    if len(value) > MAX_REGIONS:
        raise LayoutError(f"VideoLayout may have at most {MAX_REGIONS} regions, not {len(value)}")
    return tuple(_region(name, spec, resolution) for name, spec in value.items())


def layout_json(regions: Sequence[Region]) -> dict[str, Any]:
    """Return the layout as the API renders ``video_layout``: every key, defaults filled in."""
    return {
        region.name: {
            "video_sources": list(region.video_sources),
            "video_sources_excluded": list(region.video_sources_excluded),
            "reuse": region.reuse,
            "x_pos": region.x_pos,
            "y_pos": region.y_pos,
            "z_pos": region.z_pos,
            "width": region.width or 0,
            "height": region.height or 0,
            "max_columns": region.max_columns or 0,
            "max_rows": region.max_rows or 0,
            "cells_excluded": list(region.cells_excluded),
        }
        for region in regions
    }


# --- Grid geometry ---------------------------------------------------------------------------


def _usable(cells: int, excluded: frozenset[int]) -> int:
    return cells - sum(1 for cell in excluded if cell < cells)


def grid_shape(
    count: int,
    width: int,
    height: int,
    *,
    max_columns: int | None = None,
    max_rows: int | None = None,
    excluded: frozenset[int] = frozenset(),
) -> tuple[int, int]:
    """Return (columns, rows) of the grid for ``count`` sources on a width x height area.

    Within the bounds, and with enough cells left once ``excluded`` are taken out; when no grid
    within the bounds holds ``count``, the largest one.
    """

    def rows_for(columns: int) -> int:
        rows = math.ceil(count / columns)
        while _usable(columns * rows, excluded) < count:
            rows += 1
        return rows

    def rank(columns: int) -> tuple[float, int, float, int]:
        rows = rows_for(columns)
        cell_w, cell_h = width / columns, height / rows
        fitted = min(cell_w, cell_h * GRID_ASPECT) * min(cell_h, cell_w / GRID_ASPECT)
        # Equal sizes: the grid shaped most like the area (two side by side on a wide one).
        shape = abs(math.log(columns / rows * height / width))
        return (-fitted, _usable(columns * rows, excluded) - count, shape, columns)

    widest = min(max_columns or count + len(excluded), count + len(excluded))
    fitting = [c for c in range(1, widest + 1) if max_rows is None or rows_for(c) <= max_rows]
    if not fitting:
        assert max_columns is not None and max_rows is not None  # unbounded grids always fit
        return max_columns, max_rows
    columns = min(fitting, key=rank)
    return columns, rows_for(columns)


def _fit(source: Source, x: int, y: int, cell_w: int, cell_h: int) -> Placement:
    """Scale a source into a cell keeping its aspect ratio, centred; even sizes suit 4:2:0."""
    scale = min(cell_w / source.width, cell_h / source.height)
    w = max(2, int(source.width * scale) // 2 * 2)
    h = max(2, int(source.height * scale) // 2 * 2)
    w, h = min(w, cell_w), min(h, cell_h)
    return Placement(source, x + (cell_w - w) // 2, y + (cell_h - h) // 2, w, h)


def _grid_cells(
    region: Region, box: tuple[int, int, int, int], count: int
) -> list[tuple[int, int, int, int]]:
    """Return the usable cells (x, y, width, height) of the region's grid for ``count``."""
    if not count:
        return []
    x, y, width, height = box
    excluded = frozenset(region.cells_excluded)
    columns, rows = grid_shape(
        count,
        width,
        height,
        max_columns=region.max_columns,
        max_rows=region.max_rows,
        excluded=excluded,
    )
    cells = []
    for index in range(columns * rows):
        if index in excluded:
            continue
        row, column = divmod(index, columns)
        x0, x1 = x + column * width // columns, x + (column + 1) * width // columns
        y0, y1 = y + row * height // rows, y + (row + 1) * height // rows
        # A small region split for many sources has cells without a pixel: left out as if excluded.
        if x1 > x0 and y1 > y0:
            cells.append((x0, y0, x1 - x0, y1 - y0))
    return cells


# --- Placement over time ---------------------------------------------------------------------


@dataclass(frozen=True)
class _RegionPlan:
    region: Region
    box: tuple[int, int, int, int]
    sources: tuple[Source, ...]  # those it may show, oldest first (start, then SID)
    # reuse "none": each source's cell for the whole room, in a grid of fixed shape.
    fixed: dict[Source, tuple[int, int, int, int]] = field(default_factory=dict)

    def at(self, present: frozenset[Source]) -> list[Placement]:
        """Return the region's placements while exactly ``present`` sources have media."""
        if self.region.reuse == "none":
            return [_fit(s, *self.fixed[s]) for s in self.sources if s in present]
        here = [s for s in self.sources if s in present]
        capacity = self.region.capacity()
        if capacity is not None and len(here) > capacity:
            here = here[:capacity] if self.region.reuse == "show_oldest" else here[-capacity:]
        return [
            _fit(source, *cell)
            for source, cell in zip(
                here, _grid_cells(self.region, self.box, len(here)), strict=False
            )
        ]


def _region_plan(
    region: Region, sources: Sequence[Source], resolution: tuple[int, int]
) -> _RegionPlan:
    box = region.box(resolution)
    chosen = select(
        sorted(sources, key=lambda s: (s.start, s.sid)),
        region.video_sources,
        region.video_sources_excluded,
        identity=lambda s: (s.name, tuple(sid for sid in (s.sid, s.track_sid) if sid)),
    )
    if region.reuse != "none":
        return _RegionPlan(region, box, tuple(chosen))
    capacity = region.capacity()
    kept = chosen[:capacity] if capacity is not None else chosen
    cells = _grid_cells(region, box, len(kept))
    return _RegionPlan(region, box, tuple(kept), dict(zip(kept, cells, strict=False)))


class LayoutPlan:
    """A layout applied to a room's sources, computed once; ``placements_at`` reads it per frame."""

    def __init__(
        self, regions: Sequence[Region], sources: Sequence[Source], resolution: tuple[int, int]
    ):
        drawn = sorted(enumerate(regions), key=lambda item: (item[1].z_pos, item[0]))
        self._regions = [_region_plan(region, sources, resolution) for _, region in drawn]
        self.sources: tuple[Source, ...] = tuple(
            s for s in sources if any(s in plan.sources for plan in self._regions)
        )
        # Who is present changes only at a start or an end: one placement list per stretch.
        self._times = sorted({t for s in self.sources for t in (s.start, s.end)})
        self._cache: dict[int, list[Placement]] = {}

    def placements_at(self, t: float) -> list[Placement]:
        """Return where each source is drawn at time ``t``, in drawing order (bottom first)."""
        stretch = bisect.bisect_right(self._times, t)
        if stretch not in self._cache:
            present = frozenset(s for s in self.sources if s.start <= t < s.end)
            self._cache[stretch] = [p for plan in self._regions for p in plan.at(present)]
        return self._cache[stretch]
