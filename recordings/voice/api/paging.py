"""2010-04-01 paging: ``PageSize``, ``Page`` and ``PageToken`` in, and the page fields out
(``page``, ``page_size``, ``start``, ``end``, ``uri``, ``first_page_uri``, ``next_page_uri``,
``previous_page_uri``), with URIs relative to the API root as Twilio gives them.

The token is the same signed keyset cursor the /v1 API uses, so a deep page costs what the first
one does.
"""

from rest_framework.request import Request

from recordings.api.paging import PageRequest, page_links
from recordings.selectors import Page


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
