"""The pause between a bulk job's chunks: doubling while the API is slow, halving once it is not,
capped so the job always gets on and the watchdog never takes it for lost."""

import pytest

from recordings.lifecycle.throttle import FIRST_PAUSE_SECONDS, next_pause

LIMIT = 250.0
# A chunk of 0.2 s allows pauses up to 1.8 s; the ceiling (a tenth of JOB_STALL_SECONDS) is far.
CHUNK = dict(limit_ms=LIMIT, chunk_seconds=0.2, ceiling=30.0)


def _pauses(p99s: list[float | None], **kwargs) -> list[float]:
    pause, pauses = 0.0, []
    for p99 in p99s:
        pause = next_pause(pause, p99_ms=p99, **{**CHUNK, **kwargs})
        pauses.append(pause)
    return pauses


def test_the_pause_doubles_from_a_small_start_while_the_api_is_slow():
    assert _pauses([300.0] * 5) == [0.05, 0.1, 0.2, 0.4, 0.8]


def test_the_pause_halves_once_the_api_is_quick_again_then_stops():
    assert _pauses([300.0] * 4 + [100.0] * 4) == [0.05, 0.1, 0.2, 0.4, 0.2, 0.1, 0.05, 0.0]


def test_a_p99_at_the_limit_is_not_over_it():
    assert _pauses([LIMIT] * 3) == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("p99", [None, 0.0, 100.0])
def test_no_pause_without_traffic_or_while_the_api_is_quick(p99):
    assert next_pause(0.0, p99_ms=p99, **CHUNK) == 0.0


def test_a_limit_of_zero_never_pauses():
    assert _pauses([10_000.0] * 5, limit_ms=0.0) == [0.0] * 5


def test_the_job_keeps_a_tenth_of_the_time_for_work():
    pauses = _pauses([10_000.0] * 20, chunk_seconds=0.1)
    assert max(pauses) == pytest.approx(0.9)
    assert all(0.1 / (0.1 + pause) >= 0.1 - 1e-9 for pause in pauses)


def test_no_pause_is_longer_than_the_ceiling_whatever_the_chunk():
    pauses = _pauses([10_000.0] * 20, chunk_seconds=100.0, ceiling=30.0)
    assert pauses[-1] == 30.0 and max(pauses) == 30.0


def test_a_pause_cut_by_a_cap_still_halves_from_where_it_was():
    assert next_pause(0.9, p99_ms=100.0, **CHUNK) == 0.45
    assert next_pause(FIRST_PAUSE_SECONDS, p99_ms=100.0, **CHUNK) == 0.0
