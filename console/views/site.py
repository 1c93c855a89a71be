"""What every page of the site shares beyond the layout: its error pages and its icon.

The 403 and 404 pages render in the console's layout, the sidebar included for a signed-in
member; the 500 page (``templates/500.html``) is rendered by Django without a request or any
query, so that it shows even when the database is down.
"""

from django.shortcuts import redirect, render
from django.templatetags.static import static

from console.access import NoAccount, RoleRequired


def permission_denied(request, exception=None):
    """Say why a page is refused (the role it needs, when a role check refused it)."""
    reason = exception.reason if isinstance(exception, RoleRequired | NoAccount) else None
    return render(request, "403.html", {"reason": reason}, status=403)


def page_not_found(request, exception=None):
    """Say that nothing is at this address, in the console's layout."""
    return render(request, "404.html", {"request_path": request.path}, status=404)


def favicon(request):
    """Send /favicon.ico (asked for by browsers that ignore the page's icon link) to the SVG."""
    return redirect(static("img/favicon.svg"), permanent=True)
