"""Layouts: the default grid, regions and their grids, reuse over time, VideoLayout validation."""

import itertools

import pytest

from recordings.compositions.layout import (
    DEFAULT_LAYOUT,
    LayoutError,
    LayoutPlan,
    Placement,
    Region,
    Source,
    default_grid_layout,
    grid_shape,
    layout_json,
    parse_resolution,
    parse_video_layout,
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


# --- VideoLayout: parsing, validation, the echo ---------------------------------------------

CANVAS = (640, 480)


@pytest.mark.parametrize("value", [None, "", "  ", "{}", {}])
def test_no_layout_means_no_video(value):
    assert parse_video_layout(value, resolution=CANVAS) == ()


def test_a_layout_parses_from_json_with_twilios_defaults():
    text = (
        '{"main": {"video_sources": ["presenter*"], "z_pos": 1, "height": 360},'
        ' "strip": {"video_sources": ["*"], "video_sources_excluded": ["presenter*"],'
        ' "y_pos": 360, "max_rows": 1, "reuse": "show_newest", "cells_excluded": [3, 1, 3]}}'
    )

    regions = parse_video_layout(text, resolution=CANVAS)

    assert regions == (
        Region("main", ("presenter*",), z_pos=1, height=360),
        Region(
            "strip",
            ("*",),
            ("presenter*",),
            reuse="show_newest",
            y_pos=360,
            max_rows=1,
            cells_excluded=(1, 3),
        ),
    )
    assert regions[1].box(CANVAS) == (0, 360, 640, 120)


def test_layout_json_echoes_every_key_and_parses_back_to_the_same_regions():
    regions = parse_video_layout(
        {"main": {"video_sources": ["a*"], "x_pos": 100, "width": 320}}, resolution=CANVAS
    )

    echoed = layout_json(regions)

    assert echoed == {
        "main": {
            "video_sources": ["a*"],
            "video_sources_excluded": [],
            "reuse": "show_oldest",
            "x_pos": 100,
            "y_pos": 0,
            "z_pos": 0,
            "width": 320,
            "height": 0,
            "max_columns": 0,
            "max_rows": 0,
            "cells_excluded": [],
        }
    }
    assert parse_video_layout(echoed, resolution=CANVAS) == regions


def test_the_default_grid_layout_is_one_grid_of_every_source():
    assert parse_video_layout(default_grid_layout(), resolution=CANVAS) == DEFAULT_LAYOUT


@pytest.mark.parametrize(
    ("region", "message"),
    [
        ({}, "video_sources must be a list"),
        ({"video_sources": "alice"}, "video_sources must be a list"),
        ({"video_sources": []}, "video_sources must name at least one track"),
        ({"video_sources": [""]}, "video_sources must be a list"),
        ({"video_sources": ["a" * 129]}, "1 to 128 characters"),
        ({"video_sources": ["*"] * 101}, "at most 100 track names"),
        ({"video_sources_excluded": [1]}, "video_sources_excluded must be a list"),
        ({"reuse": "show_all"}, "reuse must be one of none, show_oldest, show_newest"),
        ({"x_pos": -1}, "x_pos must be an integer between 0 and 624"),
        ({"x_pos": 625}, "x_pos must be an integer between 0 and 624"),
        ({"x_pos": "10"}, "x_pos must be an integer"),
        ({"y_pos": 1.5}, "y_pos must be an integer between 0 and 464"),
        ({"z_pos": 100}, "z_pos must be an integer between -99 and 99"),
        ({"z_pos": True}, "z_pos must be an integer"),
        ({"width": 15}, "width must be between 16 and 1280"),
        ({"height": 1281}, "height must be between 16 and 1280"),
        ({"x_pos": 400, "width": 320}, "x_pos + width must be at most the canvas's width 640"),
        ({"y_pos": 200, "height": 300}, "y_pos + height must be at most the canvas's height 480"),
        ({"max_columns": 1001}, "max_columns must be an integer between 1 and 1000"),
        ({"max_rows": -2}, "max_rows must be an integer between 1 and 1000"),
        ({"cells_excluded": [-1]}, "cells_excluded must be a list"),
        ({"cells_excluded": 2}, "cells_excluded must be a list"),
        ({"colour": "red"}, 'unknown key "colour"'),
    ],
)
def test_each_region_error_names_the_region_and_the_key(region, message):
    # The first three cases are about video_sources itself; the others add a valid one.
    spec = region if not region or "video_sources" in region else {"video_sources": ["*"], **region}

    with pytest.raises(LayoutError) as caught:
        parse_video_layout({"main": spec}, resolution=CANVAS)

    assert caught.value.message.startswith('VideoLayout region "main": ')
    assert message in caught.value.message
    assert str(caught.value) == caught.value.message


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("{not json", "VideoLayout must be a JSON object"),
        ('["main"]', "VideoLayout must be a JSON object of regions"),
        ({"main": ["*"]}, 'VideoLayout region "main": must be an object'),
        ({"two words": {"video_sources": ["*"]}}, 'region "two words": a region name must be'),
        ({"": {"video_sources": ["*"]}}, 'region "": a region name must be'),
        ({f"r{i}": {"video_sources": ["*"]} for i in range(21)}, "at most 20 regions, not 21"),
    ],
)
def test_layout_errors_say_what_is_wrong(value, message):
    with pytest.raises(LayoutError, match=message):
        parse_video_layout(value, resolution=CANVAS)


# --- Regions on the canvas --------------------------------------------------------------------


def named(name: str, start: float, end: float, sid: str | None = None) -> Source:
    return Source(sid or f"RT{name}", start, end, 160, 120, name=name)


def inside(p: Placement, box: tuple[int, int, int, int]) -> bool:
    x, y, w, h = box
    return x <= p.x and p.x + p.width <= x + w and y <= p.y and p.y + p.height <= y + h


def test_regions_take_the_sources_their_patterns_name_and_a_source_may_be_in_several():
    presenter, alice, bob = named("presenter", 0, 10), named("alice", 0, 10), named("bob", 0, 10)
    regions = (
        Region("main", ("presenter*",), height=360),
        Region("strip", ("*",), ("presenter",), y_pos=360, max_rows=1),
        Region("all", ("*",), x_pos=480, y_pos=0, width=160, height=120),
    )

    placed = LayoutPlan(regions, [alice, bob, presenter], CANVAS).placements_at(1.0)

    names = [p.source.name for p in placed]
    assert names == ["presenter", "alice", "bob", "alice", "bob", "presenter"]
    assert inside(placed[0], (0, 0, 640, 360))
    assert all(inside(p, (0, 360, 640, 120)) for p in placed[1:3])
    assert placed[1].x < placed[2].x  # a strip: one row, side by side
    assert all(inside(p, (480, 0, 160, 120)) for p in placed[3:])


def test_a_source_no_region_names_is_left_out_of_the_plan():
    alice, screen = named("alice", 0, 10), named("screen", 0, 10)

    plan = LayoutPlan((Region("main", ("alice",)),), [alice, screen], CANVAS)

    assert plan.sources == (alice,)
    assert LayoutPlan((), [alice, screen], CANVAS).sources == ()


def test_regions_are_drawn_by_z_pos_then_in_layout_order():
    source = named("alice", 0, 10)
    regions = (
        Region("pip", ("*",), x_pos=480, y_pos=360, width=160, height=120, z_pos=5),
        Region("back", ("*",)),
        Region("also_back", ("*",), width=320, height=240),
        Region("under", ("*",), z_pos=-1, width=160, height=120),
    )

    placed = LayoutPlan(regions, [source], CANVAS).placements_at(1.0)

    assert [(p.x, p.y, p.width, p.height) for p in placed] == [
        (0, 0, 160, 120),  # under (z -1)
        (0, 0, 640, 480),  # back (z 0, first in the layout)
        (0, 0, 320, 240),  # also_back (z 0, second)
        (480, 360, 160, 120),  # pip (z 5) on top
    ]


def test_max_columns_and_max_rows_bound_the_grid():
    assert grid_shape(3, 640, 480, max_columns=1) == (1, 3)
    assert grid_shape(4, 640, 480, max_rows=1) == (4, 1)
    assert grid_shape(5, 640, 480, max_columns=2, max_rows=2) == (2, 2)  # full
    plan = LayoutPlan(
        (Region("column", ("*",), max_columns=1),), [named(n, 0, 10) for n in "abc"], CANVAS
    )

    placed = plan.placements_at(1.0)

    assert len({p.x for p in placed}) == 1
    assert [p.y for p in placed] == sorted(p.y for p in placed)
    assert all(p.height <= 160 for p in placed)


def test_excluded_cells_stay_empty_and_the_sources_take_the_next():
    # A 3x3 frame around an empty centre (cell 4): eight sources fit, the ninth waits.
    region = Region("frame", ("*",), max_columns=3, max_rows=3, cells_excluded=(4,))
    sources = [named(f"s{i}", float(i), 100) for i in range(9)]

    placed = LayoutPlan((region,), sources, (600, 480)).placements_at(50.0)

    cells = [(p.x + p.width // 2) // 200 + 3 * ((p.y + p.height // 2) // 160) for p in placed]
    assert cells == [0, 1, 2, 3, 5, 6, 7, 8]
    assert [p.source.name for p in placed] == [f"s{i}" for i in range(8)]
    assert region.capacity() == 8
    # With one source, the grid grows past the excluded first cell.
    assert grid_shape(1, 640, 480, excluded=frozenset({0})) == (2, 1)


# --- reuse over time --------------------------------------------------------------------------


def two_cells(reuse: str) -> tuple[Region, ...]:
    return (Region("pair", ("*",), reuse=reuse, max_columns=2, max_rows=1),)


def test_show_oldest_keeps_a_newcomer_waiting_until_a_place_frees():
    a, b, c = named("a", 0, 5), named("b", 1, 10), named("c", 2, 10)
    plan = LayoutPlan(two_cells("show_oldest"), [c, b, a], CANVAS)

    assert shown(plan, 3.0) == ["RTa", "RTb"]  # full: c waits
    assert shown(plan, 6.0) == ["RTb", "RTc"]  # a left: c takes a place, the grid re-flows
    assert plan.placements_at(6.0)[0].x == plan.placements_at(3.0)[0].x


def test_show_newest_lets_a_newcomer_replace_the_oldest():
    a, b, c = named("a", 0, 10), named("b", 1, 10), named("c", 2, 5)
    plan = LayoutPlan(two_cells("show_newest"), [a, b, c], CANVAS)

    assert shown(plan, 1.5) == ["RTa", "RTb"]
    assert shown(plan, 3.0) == ["RTb", "RTc"]  # c arrives in a full region: a makes way
    assert shown(plan, 6.0) == ["RTa", "RTb"]  # c has left: a is back


def test_reuse_none_never_gives_a_used_cell_to_another_source_and_does_not_reflow():
    a, b, c = named("a", 0, 2), named("b", 1, 10), named("c", 3, 10)
    plan = LayoutPlan((Region("grid", ("*",), reuse="none"),), [a, b, c], CANVAS)

    early, late = plan.placements_at(1.5), plan.placements_at(4.0)

    assert [p.source.name for p in early] == ["a", "b"]
    assert [p.source.name for p in late] == ["b", "c"]
    assert early[1] == late[0]  # b stays in its cell after a leaves
    # The grid is sized once for all three: c has the third cell, a's stays empty.
    assert {(p.x, p.y) for p in early} | {(p.x, p.y) for p in late} == {
        (p.x, p.y) for p in layout_at([named(n, 0, 10) for n in "abc"], 1.0, *CANVAS)
    }


def test_reuse_none_in_a_full_region_never_shows_a_latecomer():
    a, b, c = named("a", 0, 2), named("b", 0, 10), named("c", 3, 10)
    plan = LayoutPlan(two_cells("none"), [a, b, c], CANVAS)

    assert shown(plan, 1.0) == ["RTa", "RTb"]
    assert shown(plan, 4.0) == ["RTb"]  # a's cell is not reused by c
    assert plan.sources == (a, b)


def test_a_plan_answers_the_same_for_the_same_inputs_whatever_the_order_asked():
    sources = [named(n, float(i), 10.0 + i) for i, n in enumerate("abcde")]
    regions = parse_video_layout(
        {
            "main": {"video_sources": ["a"], "height": 240},
            "rest": {"video_sources": ["*"], "y_pos": 240, "max_rows": 1, "reuse": "show_newest"},
        },
        resolution=CANVAS,
    )
    times = [t / 4 for t in range(64)]

    forward = [LayoutPlan(regions, sources, CANVAS).placements_at(t) for t in times]
    plan = LayoutPlan(regions, list(reversed(sources)), CANVAS)
    backward = [plan.placements_at(t) for t in reversed(times)]

    assert forward == list(reversed(backward))


def test_a_crowded_small_region_draws_nothing_without_a_pixel():
    region = Region("tiny", ("*",), width=16, height=16, max_rows=1)
    sources = [named(f"s{i:02}", 0, 10) for i in range(40)]

    placed = LayoutPlan((region,), sources, CANVAS).placements_at(1.0)

    assert placed and all(p.width > 0 and p.height > 0 for p in placed)
    assert all(inside(p, (0, 0, 16, 16)) for p in placed)
