"""The Twilio error body and the handlers that make every API failure answer in it.

Twilio answers errors as ``{"code", "message", "more_info", "status"}``. The official helper library
raises ``TwilioRestException`` from exactly these keys; a body that also had ``type`` and ``title``
would be parsed as an RFC 9457 problem instead, so those keys are never added.
"""

import logging
from collections.abc import Callable

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.db import InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response

logger = logging.getLogger(__name__)

# Twilio error codes used by this API (https://www.twilio.com/docs/errors/<code>).
INVALID_PARAMETER = 20001
AUTHENTICATION_FAILED = 20003
METHOD_NOT_ALLOWED = 20004
INVALID_PAGE_SIZE = 20007
NOT_FOUND = 20404
CONFLICT = 20409
REQUEST_TOO_LARGE = 20413
INTERNAL_ERROR = 20500
SERVICE_UNAVAILABLE = 20503
INVALID_CALL_STATE = 21220
INVALID_STATUS_CALLBACK = 21609
INVALID_PAGE_TOKEN = 21481
ROOM_FULL = 53105
ROOM_EXISTS = 53113
INVALID_RECORDING_RULES = 53120
RULES_NOT_SUPPORTED_FOR_ROOM_TYPE = 53122


def error_body(code: int, message: str, http_status: int) -> dict[str, object]:
    """Return a Twilio error body."""
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": http_status,
    }


class TwilioAPIError(exceptions.APIException):
    """An API failure with its Twilio error code."""

    def __init__(self, code: int, message: str, http_status: int = status.HTTP_400_BAD_REQUEST):
        super().__init__(detail=message)
        self.code = code
        self.message = message
        self.status_code = http_status


def not_found(path: str) -> TwilioAPIError:
    """Return the error for an unknown, foreign or malformed resource (all look the same)."""
    return TwilioAPIError(
        NOT_FOUND, f"The requested resource {path} was not found", status.HTTP_404_NOT_FOUND
    )


def invalid_parameter(name: str, detail: str = "") -> TwilioAPIError:
    """Return the error for a parameter whose value cannot be accepted."""
    message = f"Invalid {name}" + (f": {detail}" if detail else "")
    return TwilioAPIError(INVALID_PARAMETER, message)


# How exceptions raised below the API read on the wire: exception type → (Twilio code, HTTP
# status, message). The apps that raise them fill it in AppConfig.ready(), so that this package
# never imports domain code; it is written once at start-up and only read afterwards.
_REGISTERED: dict[type[Exception], tuple[int, int, Callable[[Exception], str]]] = {}


def register_error(
    exc_type: type[Exception],
    *,
    code: int,
    http_status: int,
    message: Callable[[Exception], str] = str,
) -> None:
    """Answer ``exc_type`` (and subclasses registered under no other entry) with this error."""
    _REGISTERED[exc_type] = (code, http_status, message)


def _registered(exc: Exception) -> TwilioAPIError | None:
    """Return the registered error of the most specific registered class of ``exc``, if any."""
    for cls in type(exc).__mro__:
        if cls in _REGISTERED:
            code, http_status, message = _REGISTERED[cls]
            return TwilioAPIError(code, message(exc), http_status)
    return None


def _translate(exc: Exception, path: str) -> TwilioAPIError | None:
    """Map registered and framework exceptions onto Twilio errors; None for ones we do not know."""
    if isinstance(exc, TwilioAPIError):
        return exc
    if (registered := _registered(exc)) is not None:
        return registered
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        return TwilioAPIError(AUTHENTICATION_FAILED, "Authenticate", status.HTTP_401_UNAUTHORIZED)
    if isinstance(exc, exceptions.MethodNotAllowed):
        return TwilioAPIError(
            METHOD_NOT_ALLOWED, "Method not allowed", status.HTTP_405_METHOD_NOT_ALLOWED
        )
    if isinstance(exc, Http404 | exceptions.NotFound):
        return not_found(path)
    if isinstance(exc, RequestDataTooBig):
        return TwilioAPIError(
            REQUEST_TOO_LARGE, "Request body too large", status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
        )
    if isinstance(exc, exceptions.ParseError | exceptions.UnsupportedMediaType):
        return TwilioAPIError(INVALID_PARAMETER, f"Unreadable request body: {exc.detail}")
    if isinstance(exc, SuspiciousOperation):
        return TwilioAPIError(INVALID_PARAMETER, "Malformed request")
    if isinstance(exc, OperationalError | InterfaceError):
        # The database is down or failing over (or a lock timed out): the request may be retried.
        logger.warning("API request refused, the database did not answer: %s", type(exc).__name__)
        return TwilioAPIError(
            SERVICE_UNAVAILABLE,
            "Service temporarily unavailable",
            status.HTTP_503_SERVICE_UNAVAILABLE,
        )
    if isinstance(exc, exceptions.APIException):
        # Twilio's generic codes are 20000 + the HTTP status (20403, 20429, ...).
        return TwilioAPIError(20000 + exc.status_code, str(exc.detail), exc.status_code)
    return None


def twilio_exception_handler(exc: Exception, context: dict) -> Response:
    """Render any exception raised in an API view as a Twilio error body (DRF hook)."""
    request = context.get("request")
    path = _api_path(request.path if request is not None else "")
    error = _translate(exc, path)
    if error is None:
        logger.exception("Unhandled API error", exc_info=exc)
        error = TwilioAPIError(INTERNAL_ERROR, "Internal server error", 500)
    response = Response(error_body(error.code, error.message, error.status_code), error.status_code)
    if error.status_code == status.HTTP_401_UNAUTHORIZED:
        response["WWW-Authenticate"] = 'Basic realm="Twilio API"'
    if error.status_code == status.HTTP_503_SERVICE_UNAVAILABLE:
        response["Retry-After"] = "5"
    return response


API_PREFIXES = ("/v1/", "/ingest/v1/", "/2010-04-01/", "/roomvault/v1/")


def _api_path(path: str) -> str:
    """Return the path as Twilio names it in messages (without the /v1 prefix)."""
    return path[3:] if path.startswith("/v1/") else path


def json_error(code: int, message: str, http_status: int) -> JsonResponse:
    """Return a Twilio error body from plain Django code (URL fallbacks, media URLs)."""
    return JsonResponse(error_body(code, message, http_status), status=http_status)


def bad_request(request, exception=None):
    """Answer a request Django refused before any view ran; a Twilio body under /v1."""
    if request.path.startswith(API_PREFIXES):
        if isinstance(exception, RequestDataTooBig):
            return json_error(REQUEST_TOO_LARGE, "Request body too large", 413)
        return json_error(INVALID_PARAMETER, "Malformed request", 400)
    return defaults.bad_request(request, exception)


def server_error(request):
    """Answer an unhandled failure; a Twilio body under /v1, never an HTML page."""
    if request.path.startswith(API_PREFIXES):
        return json_error(INTERNAL_ERROR, "Internal server error", 500)
    return defaults.server_error(request)
