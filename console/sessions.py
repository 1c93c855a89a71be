"""Console sessions end after SESSION_COOKIE_AGE without a request (12 hours by default).

Django renews a session's expiry only when the session is saved. Saving it on every request
(SESSION_SAVE_EVERY_REQUEST) would add a database write to every page view; instead a signed-in
request saves it at most once per SESSION_REFRESH_SECONDS, so a session ends between
SESSION_COOKIE_AGE minus that interval and SESSION_COOKIE_AGE after its last request.
"""

import time

from django.conf import settings

LAST_REFRESH = "roomvault.session_refreshed"


def mark_signed_in(sender, request, user, **kwargs):
    """Count signing in as the session's first refresh (login saves the session anyway)."""
    request.session[LAST_REFRESH] = int(time.time())


class IdleSessionMiddleware:
    """Push a signed-in session's expiry forward when its last refresh is old enough."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = int(time.time())
            if now - request.session.get(LAST_REFRESH, 0) >= settings.SESSION_REFRESH_SECONDS:
                # A changed session is saved with a fresh expiry (cookie and database row).
                request.session[LAST_REFRESH] = now
        return self.get_response(request)
