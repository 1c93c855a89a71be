"""What every /roomvault/v1 endpoint shares beyond the Twilio wire format."""

from rest_framework.request import Request

from recordings.twilio_api.errors import TwilioAPIError, not_found

PREFIX = "/roomvault/v1"


def missing(request: Request) -> TwilioAPIError:
    """Return the Twilio 404 of the resource this request names: the same for another account's
    as for one that never existed."""
    return not_found(request.path.removeprefix(PREFIX))
