"""Console: the Recordings Logs page (100 rows, with filters, and 1,000 pages deep) against Django's
admin changelist of the same model with a ``list_filter`` on status (``bench.baseline``, Django's
defaults), on its first page and as deep.

The deep Logs page is reached as its "Next" links reach it, by the signed keyset token of the row
before it, made here for the row found with one OFFSET query: walking 999 pages first would take
longer than the case. The admin pages by OFFSET and counts every match on every page.

The owner signs in through the real login form (django-axes and all); the admin is reached with
the same session, the owner made staff for it.
"""

import re
from urllib.parse import urlencode

import requests

from bench.client import sample
from bench.context import Bench
from bench.errors import BenchError
from bench.report import Check, Row, label_for, ms, times

PAGE_SIZE = 100
P50_MAX_MS = 60.0
ADMIN_MAX = 0.05
# Django's admin at 10M rows takes seconds a page: sample it for this long at most.
ADMIN_BUDGET_S = 10.0
CASES = {
    "no filter": {"page_size": PAGE_SIZE},
    "status+type": {"status": "completed", "type": "audio", "page_size": PAGE_SIZE},
}
# The deep case: as many pages in as the filter allows, up to 1,000.
DEEP_PAGES = 1000
DEEP_CASE = {"status": "completed", "type": "audio", "page_size": PAGE_SIZE}
ADMIN_PATH = "/bench/admin/video/recording/?status__exact=completed"
_DETAIL_LINK = re.compile(rb'href="/recordings/(RT[0-9a-f]{32})/"')
_ADMIN_ROW = re.compile(rb'<th class="field-sid">')


def sign_in(bench: Bench) -> dict[str, str]:
    """Sign in through the login form; return the Cookie header of the session."""
    base = bench.server.base_url
    with requests.Session() as http:
        form = http.get(f"{base}/login/", timeout=30)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
        if form.status_code != 200 or token is None:
            raise BenchError(f"GET /login/ answered {form.status_code} without a CSRF token")
        done = http.post(
            f"{base}/login/",
            data={
                "username": bench.tenant.email,
                "password": bench.tenant.password,
                "csrfmiddlewaretoken": token.group(1),
            },
            headers={"Referer": f"{base}/login/"},
            allow_redirects=False,
            timeout=30,
        )
        if done.status_code != 302 or "sessionid" not in http.cookies:
            raise BenchError(f"sign-in refused ({done.status_code}): {done.text[:300]}")
        return {"Cookie": f"sessionid={http.cookies['sessionid']}"}


def make_staff(email: str) -> None:
    """Let the owner into Django's admin (the baseline only: the console has no staff notion)."""
    from django.contrib.auth import get_user_model

    get_user_model().objects.filter(username=email).update(is_staff=True, is_superuser=True)


def _count_check(pattern: re.Pattern, expected: int, what: str):
    def check(body: bytes) -> None:
        found = len(pattern.findall(body))
        if found != expected:
            raise BenchError(f"{what}: {found} rows on the page, expected {expected}")

    return check


def _sids_check(expected: list[str], what: str):
    def check(body: bytes) -> None:
        found = [sid.decode() for sid in _DETAIL_LINK.findall(body)]
        if found != expected:
            raise BenchError(f"{what}: {len(found)} rows, not the {len(expected)} expected")

    return check


def _matching(account, params: dict):
    from django.http import QueryDict

    from recordings.video import selectors
    from recordings.video.forms import RecordingFilterForm

    form = RecordingFilterForm(QueryDict(urlencode(params)))
    if not form.is_valid():
        raise BenchError(f"console filter {params} is not valid: {form.errors}")
    return selectors.recording_list(account=account, filter=form.filter())


def _expected_rows(account, params: dict) -> int:
    return _matching(account, params)[:PAGE_SIZE].count()


def deep_page(account) -> tuple[int, str, list[str]] | None:
    """Return the page the deep case shows, its Logs URL and the SIDs it must show (None when the
    filter matches fewer than two pages)."""
    from recordings.lifecycle.views.lists import POSITION, TOKEN
    from recordings.twilio_api.tokens import encode_token

    qs = _matching(account, DEEP_CASE)
    pages = min(DEEP_PAGES - 1, qs[: DEEP_PAGES * PAGE_SIZE].count() // PAGE_SIZE - 1)
    if pages < 1:
        return None
    start = pages * PAGE_SIZE
    token = encode_token(qs[start - 1], forward=True)
    expected = list(qs.values_list("sid", flat=True)[start : start + PAGE_SIZE])
    query = urlencode({**DEEP_CASE, TOKEN: token, POSITION: start + 1})
    return pages + 1, f"/recordings/?{query}", expected


def run(bench: Bench, size: int, *, cookie: dict[str, str]) -> list[Row]:
    effort, account = bench.effort, bench.account
    from recordings.video.models import Recording

    admin_rows = min(PAGE_SIZE, Recording.objects.filter(status="completed")[:PAGE_SIZE].count())
    # A third of the list cases' requests: a page costs ten times more, and the figure is steadier.
    count = max(effort.requests // 3, 1)
    admin = sample(
        bench.server,
        ADMIN_PATH,
        n=count,
        warmup=min(2, effort.warmup),
        headers=cookie,
        check=_count_check(_ADMIN_ROW, admin_rows, "admin changelist"),
        budget_s=ADMIN_BUDGET_S,
    )
    rows = []
    for name, params in CASES.items():
        stats = sample(
            bench.server,
            f"/recordings/?{urlencode(params)}",
            n=count,
            warmup=effort.warmup // 3,
            headers=cookie,
            check=_count_check(_DETAIL_LINK, _expected_rows(account, params), "Recordings Logs"),
            check_every=effort.smoke,
        )
        ratio = stats.p50 / admin.p50
        checks = [Check("p50", stats.p50 <= P50_MAX_MS)]
        if size >= 10_000_000:
            checks.append(Check("admin ratio", ratio <= ADMIN_MAX))
        rows.append(
            Row(
                group=f"console {label_for(size)}",
                case=f"Recordings Logs {label_for(size)}, {name}, 100 rows",
                figure=f"p50 {ms(stats.p50)} p99 {ms(stats.p99)}",
                baseline=f"admin {ms(admin.p50)} (n={admin.n})",
                ratio=times(ratio),
                target=f"p50≤{P50_MAX_MS:g} ms; ≤{ADMIN_MAX:g}x admin at 10M",
                checks=checks,
                data={"size": size, "page": stats.as_dict(), "admin": admin.as_dict()},
            )
        )
    deep = deep_page(account)
    if deep:
        rows.append(_deep(bench, size, deep, cookie=cookie, count=count))
    return rows


def _deep(
    bench: Bench, size: int, deep: tuple[int, str, list[str]], *, cookie: dict, count: int
) -> Row:
    """The Logs with a filter, 1,000 pages in, against the admin's page as deep."""
    page, path, expected = deep
    admin = sample(
        bench.server,
        f"{ADMIN_PATH}&p={page - 1}",
        n=count,
        warmup=min(2, bench.effort.warmup),
        headers=cookie,
        check=_count_check(_ADMIN_ROW, PAGE_SIZE, f"admin changelist page {page}"),
        budget_s=ADMIN_BUDGET_S,
    )
    stats = sample(
        bench.server,
        path,
        n=count,
        warmup=bench.effort.warmup // 3,
        headers=cookie,
        check=_sids_check(expected, f"Recordings Logs page {page}"),
        check_every=bench.effort.smoke,
    )
    ratio = stats.p50 / admin.p50
    return Row(
        group=f"console {label_for(size)}",
        case=f"Recordings Logs {label_for(size)}, status+type, page {page:,} (keyset), 100 rows",
        figure=f"p50 {ms(stats.p50)} p99 {ms(stats.p99)}",
        baseline=f"admin page {page:,} {ms(admin.p50)} (n={admin.n})",
        ratio=times(ratio),
        target=f"p50≤{P50_MAX_MS:g} ms",
        checks=[Check("p50", stats.p50 <= P50_MAX_MS)],
        data={"size": size, "pages": page, "page": stats.as_dict(), "admin": admin.as_dict()},
    )
