"""The base of the ingest API (/ingest/v1), which media servers and the telephony platform call
with an API key of the account, and the 404 of paths none of its endpoints serves."""

from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated

from console.authentication import ApiKeyAuthentication
from console.roles import Action
from recordings.twilio_api.errors import not_found
from recordings.twilio_api.views import TwilioAPIView


class IngestView(TwilioAPIView):
    """Base of the ingest endpoints: API keys only (of scope ingest or main), JSON bodies."""

    authentication_classes = [ApiKeyAuthentication]
    required_action = Action.INGEST
    parser_classes = [JSONParser]


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE"])
@authentication_classes([ApiKeyAuthentication])
@permission_classes([IsAuthenticated])  # nothing here, whatever the scope: 404, not 403
def unknown_path(request, rest):
    """Answer every other path under /ingest/v1 with a Twilio 404, after authentication."""
    raise not_found(request.path)
