"""The console's page middleware, made to let the APIs' requests through untouched.

Machines call ``/v1``, ``/2010-04-01``, ``/ingest/v1`` and ``/roomvault/v1`` with Basic
credentials (DRF authenticates them) and get JSON: no session or signed-in user to load, no CSRF
token (DRF's views are exempt), no flash messages, no static files, no page to frame or to run
script in (so no CSP). Going through all of that cost ~0.12 ms of each API request
(``bench/api_overhead.py``).
Probes, metrics, the security headers, WhiteNoise (one dict lookup), CommonMiddleware (it checks
the Host against ALLOWED_HOSTS, which nothing else does when PUBLIC_BASE_URL builds the API's
URLs) and django-axes (one attribute read on the way out) stay on every path; so do CSRF (DRF's
views are exempt, so it only reads a cookie) and X-Frame-Options, which ``check --deploy`` looks
for by their own names.

Each of these is a subclass of the original, so Django's checks (the admin's need of sessions,
auth and messages) still find them in ``MIDDLEWARE``.
"""

from csp.middleware import CSPMiddleware as _CSP
from django.contrib.auth.middleware import AuthenticationMiddleware as _Authentication
from django.contrib.messages.middleware import MessageMiddleware as _Messages
from django.contrib.sessions.middleware import SessionMiddleware as _Sessions

from console.sessions import IdleSessionMiddleware as _IdleSession

API_PREFIXES = ("/v1/", "/2010-04-01/", "/ingest/v1/", "/roomvault/v1/")
_HOOKS = ("process_view", "process_template_response", "process_exception")


def is_api(request) -> bool:
    """Tell whether a request is for one of the APIs."""
    return request.path_info.startswith(API_PREFIXES)


def pages_only(middleware: type) -> type:
    """Return a subclass of ``middleware`` that passes API requests on without running."""

    def __call__(self, request):
        if is_api(request):
            return self.get_response(request)
        return middleware.__call__(self, request)

    def hook(name: str):
        inherited = getattr(middleware, name)

        def skipped_on_api(self, request, *args):
            # Django treats None as "carry on", except process_template_response, which must
            # hand back the response it was given (args[0]).
            if is_api(request):
                return args[0] if name == "process_template_response" else None
            return inherited(self, request, *args)

        return skipped_on_api

    body = {name: hook(name) for name in _HOOKS if hasattr(middleware, name)}
    return type(middleware.__name__, (middleware,), {"__call__": __call__, **body})


CSPMiddleware = pages_only(_CSP)
SessionMiddleware = pages_only(_Sessions)
AuthenticationMiddleware = pages_only(_Authentication)
IdleSessionMiddleware = pages_only(_IdleSession)
MessageMiddleware = pages_only(_Messages)
