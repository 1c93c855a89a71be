"""Layouts: the default grid, regions and their grids, reuse over time, VideoLayout validation."""

import itertools

import pytest

from recordings.compositions.layout import (
    DEFAULT_LAYOUT,
    LayoutPlan,
    Placement,
    Source,
    grid_shape,
    parse_resolution,
)


def sources(n: int, *, width: int = 160, height: int = 120) -> list[Source]:
    return [Source(f"RT{i:032x}", float(i), 100.0, width, height) for i in range(n)]


def layout_at(sources: list[Source], t: float, width: int, height: int) -> list[Placement]:
    return LayoutPlan(DEFAULT_LAYOUT, sources, (width, height)).placements_at(t)


def shown(plan: LayoutPlan, t: float) -> list[str]:
    return [p.source.sid for p in plan.placements_at(t)]


@pytest.mark.parametrize("n", range(1, 10))
@pytest.mark.parametrize("canvas", [(640, 480), (1280, 720), (320, 320)])
def test_grid_cells_fit_the_canvas_apart_with_the_source_aspect(n, canvas):
    width, height = canvas
    placed = layout_at(sources(n), 50.0, width, height)

    assert [p.source.sid for p in placed] == [s.sid for s in sources(n)]
    for p in placed:
        assert p.x >= 0 and p.x + p.width <= width
        assert p.y >= 0 and p.y + p.height <= height
        assert abs(p.width / p.height - 4 / 3) < 0.05
    for a, b in itertools.combinations(placed, 2):
        apart = (
            a.x + a.width <= b.x
            or b.x + b.width <= a.x
            or a.y + a.height <= b.y
            or b.y + b.height <= a.y
        )
        assert apart, (a, b)
    assert layout_at(sources(n), 50.0, width, height) == placed


@pytest.mark.parametrize(
    ("n", "shape"), [(1, (1, 1)), (2, (2, 1)), (3, (2, 2)), (4, (2, 2)), (5, (3, 2)), (9, (3, 3))]
)
def test_grid_shape_on_a_4_3_canvas_is_twilios(n, shape):
    assert grid_shape(n, 640, 480) == shape


def test_a_wide_source_is_letterboxed_in_its_cell():
    [placed] = layout_at([Source("RTwide", 0, 10, 1280, 720)], 1.0, 640, 480)

    assert (placed.x, placed.width) == (0, 640)
    assert placed.height == 360 and placed.y == 60


def test_sources_are_shown_while_they_have_media_oldest_first_and_reflow_when_one_leaves():
    late = Source("RTa", 2.0, 6.0, 160, 120)
    early = Source("RTb", 0.0, 4.0, 160, 120)
    same_start = Source("RTc", 0.0, 8.0, 160, 120)
    all_ = [late, early, same_start]

    plan = LayoutPlan(DEFAULT_LAYOUT, all_, (640, 480))

    assert shown(plan, 1.0) == ["RTb", "RTc"]
    assert shown(plan, 3.0) == ["RTb", "RTc", "RTa"]
    assert shown(plan, 5.0) == ["RTc", "RTa"]
    assert plan.placements_at(5.0) == layout_at([same_start, late], 5.0, 640, 480)
    assert layout_at(all_, 9.0, 640, 480) == []


@pytest.mark.parametrize("value", ["640x480", "16x16", "1280x720", "960x960", " 320x240 "])
def test_resolution_parses(value):
    width, height = parse_resolution(value)
    assert f"{width}x{height}" == value.strip()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("640", "WIDTHxHEIGHT"),
        ("640X480", "WIDTHxHEIGHT"),
        ("-640x480", "WIDTHxHEIGHT"),
        ("15x480", "between 16 and 1280"),
        ("1281x16", "between 16 and 1280"),
        ("1280x721", "at most 921600 pixels"),
    ],
)
def test_resolution_errors_say_what_is_wrong(value, message):
    with pytest.raises(ValueError, match=message):
        parse_resolution(value)
