"""The /roomvault/v1 webhook log: every status callback an account's events sent (video, voice,
compositions), each attempt's request and answer, and a replay. Handlers parse, call a selector or
a service, and render; the account always comes from the credentials."""

import re

from django import forms
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from console.roles import Action
from recordings.lifecycle import delivery, selectors
from recordings.lifecycle.api.base import missing
from recordings.lifecycle.api.serializers import (
    CallbackDeliveryDetailSerializer,
    CallbackDeliverySerializer,
)
from recordings.lifecycle.models import CallbackDelivery
from recordings.twilio_api import keyset
from recordings.twilio_api.paging import list_meta, parse_page_request
from recordings.twilio_api.params import UtcDateTimeField, require_valid
from recordings.twilio_api.views import (
    ERROR,
    PAGING_PARAMETERS,
    TwilioAPIView,
    actor_of,
    list_response,
)

KEY = "callback_deliveries"
# A delivery's id in a path: ASCII digits that fit a bigint ("²" is a digit to str.isdigit).
_ID = re.compile(r"[0-9]{1,18}")


class CallbackDeliveryQuery(forms.Form):
    """The list's query parameters, spelled as Twilio spells its filters."""

    Status = forms.ChoiceField(choices=CallbackDelivery.Status.choices, required=False)
    StatusCode = forms.IntegerField(min_value=100, max_value=599, required=False)
    Event = forms.CharField(max_length=32, required=False)
    Url = forms.CharField(max_length=1024, required=False, strip=False)
    DateCreatedAfter = UtcDateTimeField(required=False)
    DateCreatedBefore = UtcDateTimeField(required=False)

    def filter(self) -> selectors.CallbackFilter:
        data = self.cleaned_data
        return selectors.CallbackFilter(
            status=data["Status"],
            status_code=data["StatusCode"],
            event=data["Event"],
            url_prefix=data["Url"],
            date_created_after=data["DateCreatedAfter"],
            date_created_before=data["DateCreatedBefore"],
        )


LIST_PARAMETERS = [
    OpenApiParameter("Status", str, enum=CallbackDelivery.Status.values),
    OpenApiParameter(
        "StatusCode", int, description="Deliveries with an attempt answered with this HTTP status"
    ),
    OpenApiParameter("Event", str, description="`room-ended`, `completed`, …: exactly"),
    OpenApiParameter("Url", str, description="Callback URLs starting with this (a prefix)"),
    OpenApiParameter("DateCreatedAfter", OpenApiTypes.DATETIME, description="Inclusive"),
    OpenApiParameter("DateCreatedBefore", OpenApiTypes.DATETIME, description="Exclusive"),
]
ID = OpenApiParameter("delivery_id", int, OpenApiParameter.PATH, description="The delivery's `id`")


class _DeliveryView(TwilioAPIView):
    # No docstring: drf-spectacular would publish it as each operation's description.

    def delivery_or_404(self, delivery_id: str) -> CallbackDelivery:
        found = (
            selectors.callback_delivery_get(account=self.account, delivery_id=int(delivery_id))
            if _ID.fullmatch(delivery_id)
            else None
        )
        if found is None:
            raise missing(self.request)
        return found


class CallbackDeliveryList(TwilioAPIView):
    @extend_schema(
        operation_id="ListCallbackDelivery",
        summary="The webhook log: status callbacks sent, newest first",
        parameters=LIST_PARAMETERS + PAGING_PARAMETERS,
        responses={
            200: list_response("ListCallbackDeliveryResponse", CallbackDeliverySerializer, KEY),
            400: ERROR,
        },
    )
    def get(self, request):
        query = require_valid(CallbackDeliveryQuery(request.query_params))
        paging = parse_page_request(request)
        qs = selectors.callback_delivery_list(account=self.account, filter=query.filter())
        page = keyset.keyset_page(qs, page_size=paging.page_size, cursor=paging.cursor)
        meta = list_meta(
            request,
            key=KEY,
            filter_names=tuple(CallbackDeliveryQuery.base_fields),
            paging=paging,
            page=page,
        )
        data = CallbackDeliverySerializer(
            page.rows, many=True, context=self.serializer_context()
        ).data
        return Response({KEY: data, "meta": meta})


class CallbackDeliveryInstance(_DeliveryView):
    @extend_schema(
        operation_id="FetchCallbackDelivery",
        summary="One status callback with each attempt's request and answer",
        parameters=[ID],
        responses={200: CallbackDeliveryDetailSerializer, 404: ERROR},
    )
    def get(self, request, delivery_id):
        found = self.delivery_or_404(delivery_id)
        return Response(
            CallbackDeliveryDetailSerializer(found, context=self.serializer_context()).data
        )


class CallbackDeliveryReplay(_DeliveryView):
    required_action = Action.REPLAY_CALLBACKS

    @extend_schema(
        operation_id="CreateCallbackDeliveryReplay",
        summary="Send a status callback again, signed anew, as a new delivery",
        parameters=[ID],
        request=None,
        responses={202: CallbackDeliverySerializer, 403: ERROR, 404: ERROR},
    )
    def post(self, request, delivery_id):
        original = self.delivery_or_404(delivery_id)
        replay = delivery.callback_replay(delivery=original, actor=actor_of(request))
        body = CallbackDeliverySerializer(replay, context=self.serializer_context()).data
        return Response(body, status=status.HTTP_202_ACCEPTED)
