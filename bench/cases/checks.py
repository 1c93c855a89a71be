"""Body checks shared by the cases: what the app must answer, compared with the ORM's own rows."""

import json
from collections.abc import Callable

from django.http import QueryDict

from bench.errors import BenchError


def expected_sids(account, query: str, page_size: int) -> list[str]:
    """Return the SIDs of the first page of ``/v1/Recordings?<query>``, read through the ORM."""
    from recordings.video import selectors
    from recordings.video.api.filters import RecordingFilterSet, recording_filter

    wanted = recording_filter(RecordingFilterSet, QueryDict(query))
    qs = selectors.recording_list(account=account, filter=wanted)
    return list(qs.values_list("sid", flat=True)[:page_size])


def sids_check(key: str, expected: list[str], what: str) -> Callable[[bytes], None]:
    """Return a body check: JSON whose ``key`` list holds exactly ``expected``'s SIDs in order."""

    def check(body: bytes) -> None:
        try:
            rows = json.loads(body)[key]
        except (ValueError, KeyError, TypeError) as exc:
            raise BenchError(f"{what}: not a list body ({exc}): {body[:200]!r}") from None
        got = [row["sid"] for row in rows]
        if got != expected:
            raise BenchError(
                f"{what}: {len(got)} rows {got[:2]}…, expected {len(expected)} {expected[:2]}…"
            )

    return check
