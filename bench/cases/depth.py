"""Depth: a page far into the list through ``PageToken`` against page 1, and PageSize 1000
against its SQL floor.

The deep token is made the way the API makes its ``next_page_url`` tokens (``encode_token`` of the
last row of the page before), for the row found with one OFFSET query here: walking 10,000 pages
through the API first would take longer than the whole benchmark.
"""

from urllib.parse import quote

from bench.cases.checks import expected_sids, sids_check
from bench.cases.list_api import api_path
from bench.client import sample
from bench.context import Bench
from bench.report import Check, Row, ms, times
from bench.sqlfloor import sql_floor

PAGE_SIZE = 50
DEPTH_PAGES = 10_000
DEPTH_MAX = 1.5
BIG_PAGE = 1000


def deep_token(account, pages: int) -> tuple[str, list[str]]:
    """Return the PageToken of page ``pages`` (0-based) of the unfiltered list and its SIDs."""
    from recordings.twilio_api.tokens import encode_token
    from recordings.video import selectors
    from recordings.video.filters import RecordingFilter

    qs = selectors.recording_list(account=account, filter=RecordingFilter())
    start = pages * PAGE_SIZE
    before = qs[start - 1]
    expected = list(qs.values_list("sid", flat=True)[start : start + PAGE_SIZE])
    return encode_token(before, forward=True), expected


def run(bench: Bench) -> list[Row]:
    effort, account = bench.effort, bench.account
    from recordings.video import selectors
    from recordings.video.filters import RecordingFilter

    visible = selectors.recording_list(account=account, filter=RecordingFilter()).count()
    # As deep as the table allows, up to 10,000 pages in (500,000 rows at PageSize 50).
    pages = min(DEPTH_PAGES, visible // PAGE_SIZE - 1)
    token, expected = deep_token(account, pages)
    common = {"n": effort.requests, "warmup": effort.warmup, "headers": bench.api_headers}
    first = sample(
        bench.server,
        api_path(""),
        check=sids_check("recordings", expected_sids(account, "", PAGE_SIZE), "page 1"),
        check_every=effort.smoke,
        **common,
    )
    deep = sample(
        bench.server,
        api_path(f"PageToken={quote(token)}"),
        check=sids_check("recordings", expected, f"page {pages + 1}"),
        check_every=effort.smoke,
        **common,
    )
    ratio = deep.p50 / first.p50
    rows = [
        Row(
            group="depth",
            case=f"Page {pages + 1:,} via PageToken (PageSize 50)",
            figure=f"p50 {ms(deep.p50)} p99 {ms(deep.p99)}",
            baseline=f"page 1 {ms(first.p50)}",
            ratio=times(ratio),
            target=f"≤{DEPTH_MAX:g}x page 1",
            checks=[Check("depth ratio", ratio <= DEPTH_MAX)],
            data={"pages": pages, "deep": deep.as_dict(), "first": first.as_dict()},
        )
    ]
    big = sample(
        bench.server,
        api_path("", BIG_PAGE),
        check=sids_check("recordings", expected_sids(account, "", BIG_PAGE), "PageSize 1000"),
        check_every=effort.smoke,
        **common,
    )
    floor, queries = sql_floor(
        api_path("", BIG_PAGE), bench.api_headers, n=effort.requests, warmup=effort.warmup
    )
    rows.append(
        Row(
            group="depth",
            case="PageSize 1000, no filter",
            figure=f"p50 {ms(big.p50)} p99 {ms(big.p99)}",
            baseline=f"SQL {ms(floor.p50)}",
            ratio=times(big.p50 / floor.p50),
            data={"api": big.as_dict(), "floor": floor.as_dict(), "sql": queries},
        )
    )
    return rows
