"""2010-04-01 paging: ``PageSize``, ``Page`` and ``PageToken`` in, and the page fields out
(``page``, ``page_size``, ``start``, ``end``, ``uri``, ``first_page_uri``, ``next_page_uri``,
``previous_page_uri``), with URIs relative to the API root as Twilio gives them.

The token is the same signed keyset cursor the /v1 API uses, so a deep page costs what the first
one does.
"""

from urllib.parse import urlencode

from rest_framework.request import Request

from recordings.api.paging import PageRequest, encode_token
from recordings.selectors import Page


def page_fields(
    request: Request, *, filter_names: tuple[str, ...], paging: PageRequest, page: Page
) -> dict[str, object]:
    """Return the paging fields of one page of a 2010-04-01 list."""
    filters = [
        (name, value) for name in filter_names for value in request.query_params.getlist(name)
    ]

    def uri(page_number: int, token: str | None) -> str:
        params = [*filters, ("PageSize", paging.page_size), ("Page", page_number)]
        if token:
            params.append(("PageToken", token))
        return f"{request.path}?{urlencode(params)}"

    next_uri = previous_uri = None
    if page.rows and page.has_next:
        next_uri = uri(paging.page + 1, encode_token(page.rows[-1], forward=True))
    if page.rows and page.has_previous:
        previous_uri = uri(max(paging.page - 1, 0), encode_token(page.rows[0], forward=False))
    start = paging.page * paging.page_size
    return {
        "page": paging.page,
        "page_size": paging.page_size,
        "start": start,
        "end": start + max(len(page.rows) - 1, 0),
        "uri": uri(paging.page, paging.token),
        "first_page_uri": uri(0, None),
        "next_page_uri": next_uri,
        "previous_page_uri": previous_uri,
    }
