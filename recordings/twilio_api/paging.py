"""Twilio paging: ``PageSize``, ``Page`` and ``PageToken`` in; out, the /v1 ``meta`` block or the
2010-04-01 page fields (``page``, ``page_size``, ``start``, ``end``, ``uri``, ``first_page_uri``,
``next_page_uri``, ``previous_page_uri``, with URIs relative to the API root as Twilio gives them).

Both APIs page by the same signed keyset cursor (tokens.py), so a deep page costs what the first
one does.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest
from rest_framework.request import Request

from recordings.twilio_api.errors import INVALID_PAGE_SIZE, TwilioAPIError, invalid_parameter
from recordings.twilio_api.keyset import Cursor, Page
from recordings.twilio_api.tokens import decode_token, encode_token

# Page is echoed back, and the 2010-04-01 API adds the indexes of its first and last rows: each
# must fit in a signed 64-bit integer, the largest JSON number we render and most clients read.
_INT64_LIMIT = 2**63


@dataclass(frozen=True)
class PageRequest:
    """The paging parameters of one list request, validated."""

    page_size: int
    page: int
    cursor: Cursor | None
    token: str | None


def parse_page_request(request: Request) -> PageRequest:
    """Read PageSize, Page and PageToken from the query, or raise the Twilio error for them."""
    params = request.query_params
    page_size = _integer(params.get("PageSize"), "PageSize", settings.API_PAGE_SIZE_DEFAULT)
    if not 1 <= page_size <= settings.API_PAGE_SIZE_MAX:
        raise TwilioAPIError(
            INVALID_PAGE_SIZE,
            f"Invalid PageSize: must be between 1 and {settings.API_PAGE_SIZE_MAX}",
        )
    page = _integer(params.get("Page"), "Page", 0)
    page_max = _INT64_LIMIT // page_size - 1
    if not 0 <= page <= page_max:
        raise invalid_parameter("Page", f"must be between 0 and {page_max}")
    token = params.get("PageToken") or None
    cursor = decode_token(token) if token else None
    return PageRequest(page_size=page_size, page=page, cursor=cursor, token=token)


def _integer(raw: str | None, name: str, default: int) -> int:
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise invalid_parameter(name, f"{raw!r} is not an integer") from None


def api_base_url(request: Request | HttpRequest) -> str:
    """Return the scheme and host that absolute URLs in bodies start with."""
    return settings.PUBLIC_BASE_URL or request.build_absolute_uri("/").rstrip("/")


@dataclass(frozen=True)
class PageLinks:
    """The links around one page of a list: this page, the first, and its neighbours (or None)."""

    current: str
    first: str
    next: str | None
    previous: str | None


def page_links(
    request: Request, *, path: str, filter_names: tuple[str, ...], paging: PageRequest, page: Page
) -> PageLinks:
    """Return the links of one page of a list at ``path``, keeping the request's filters."""
    filters = [
        (name, value) for name in filter_names for value in request.query_params.getlist(name)
    ]

    def link(page_number: int, token: str | None) -> str:
        params = [*filters, ("PageSize", paging.page_size), ("Page", page_number)]
        if token:
            params.append(("PageToken", token))
        return f"{path}?{urlencode(params)}"

    next_link = previous_link = None
    if page.rows and page.has_next:
        next_link = link(paging.page + 1, encode_token(page.rows[-1], forward=True))
    if page.rows and page.has_previous:
        previous_link = link(max(paging.page - 1, 0), encode_token(page.rows[0], forward=False))
    return PageLinks(
        current=link(paging.page, paging.token),
        first=link(0, None),
        next=next_link,
        previous=previous_link,
    )


def list_meta(
    request: Request, *, key: str, filter_names: tuple[str, ...], paging: PageRequest, page: Page
) -> dict[str, object]:
    """Return the Twilio ``meta`` block for one page of a list."""
    links = page_links(
        request,
        path=api_base_url(request) + request.path,
        filter_names=filter_names,
        paging=paging,
        page=page,
    )
    return {
        "page": paging.page,
        "page_size": paging.page_size,
        "first_page_url": links.first,
        "previous_page_url": links.previous,
        "url": links.current,
        "next_page_url": links.next,
        "key": key,
    }


def page_fields(
    request: Request, *, filter_names: tuple[str, ...], paging: PageRequest, page: Page
) -> dict[str, object]:
    """Return the paging fields of one page of a 2010-04-01 list (URIs relative to the root)."""
    links = page_links(
        request, path=request.path, filter_names=filter_names, paging=paging, page=page
    )
    start = paging.page * paging.page_size
    return {
        "page": paging.page,
        "page_size": paging.page_size,
        "start": start,
        "end": start + max(len(page.rows) - 1, 0),
        "uri": links.current,
        "first_page_uri": links.first,
        "next_page_uri": links.next,
        "previous_page_uri": links.previous,
    }
