"""How long a bulk job pauses between chunks so that the API stays quick while it runs.

The pause doubles from ``FIRST_PAUSE_SECONDS`` while the API's published p99 is over the limit and
halves while it is under, down to none. Two caps keep the job a job: the pause is at most
``MAX_PAUSE_SHARE`` times the chunk it follows, so the job keeps working a tenth of the time and
always finishes, and at most ``ceiling`` seconds (a tenth of JOB_STALL_SECONDS), so its progress is
never so old that the watchdog takes it for a lost job.
"""

FIRST_PAUSE_SECONDS = 0.05
# Nine seconds of pause per second of chunk: at least 10 % of the time is work.
MAX_PAUSE_SHARE = 9.0


def next_pause(
    previous: float,
    *,
    p99_ms: float | None,
    limit_ms: float,
    chunk_seconds: float,
    ceiling: float,
) -> float:
    """Return the pause (seconds) after a chunk that took ``chunk_seconds``, given the last pause
    and the API's p99 now (None: nothing published); a ``limit_ms`` of 0 never pauses."""
    if not limit_ms or p99_ms is None:
        return 0.0
    if p99_ms > limit_ms:
        pause = max(previous * 2, FIRST_PAUSE_SECONDS)
    else:
        pause = previous / 2 if previous / 2 >= FIRST_PAUSE_SECONDS else 0.0
    return min(pause, MAX_PAUSE_SHARE * chunk_seconds, ceiling)
