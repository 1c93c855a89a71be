"""The /roomvault/v1 legal holds: list, place, fetch and release. Only the account's auth token
or a Main key may call them, reads included: who is held is itself confidential."""

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response

from console.roles import Action
from recordings.lifecycle import holds
from recordings.lifecycle.api.base import missing
from recordings.lifecycle.api.hold_serializers import (
    LegalHoldDetailSerializer,
    LegalHoldSerializer,
)
from recordings.lifecycle.hold_forms import LegalHoldForm
from recordings.lifecycle.models import LegalHold
from recordings.twilio_api import keyset
from recordings.twilio_api.errors import CONFLICT, TwilioAPIError, invalid_parameter
from recordings.twilio_api.paging import list_meta, parse_page_request
from recordings.twilio_api.params import boolean_param
from recordings.twilio_api.views import (
    ERROR,
    PAGING_PARAMETERS,
    TwilioAPIView,
    actor_of,
    list_response,
)

KEY = "legal_holds"
# The create's Twilio parameter → the form field that reads it.
PARAMETERS = {
    "Name": "name",
    "Scope": "scope",
    "Value": "value",
    "Product": "product",
    "Query": "query",
    "Reason": "reason",
}
SID = OpenApiParameter("sid", str, OpenApiParameter.PATH, description="The hold's SID (LH…)")
CREATE_REQUEST = inline_serializer(
    "CreateLegalHoldRequest",
    {
        "Name": serializers.CharField(),
        "Scope": serializers.ChoiceField(choices=LegalHold.Scope.values),
        "Value": serializers.CharField(
            required=False, help_text="The room SID (RM…), call SID (CA…) or participant identity"
        ),
        "Product": serializers.CharField(
            required=False, help_text="For Scope=filter: video, voice or composition"
        ),
        "Query": serializers.CharField(
            required=False, help_text="For Scope=filter: a Logs page's query (date_from=…)"
        ),
        "Reason": serializers.CharField(required=False),
    },
)


class _HoldView(TwilioAPIView):
    # No docstring: drf-spectacular would publish it as each operation's description.
    required_action = Action.MANAGE_HOLDS

    def hold_or_404(self, sid: str) -> LegalHold:
        hold = holds.legal_hold_get(account=self.account, sid=sid)
        if hold is None:
            raise missing(self.request)
        return hold

    def render(
        self,
        hold: LegalHold,
        serializer: type[LegalHoldSerializer] = LegalHoldSerializer,
        **kwargs: Any,
    ) -> Response:
        return Response(serializer(hold, context=self.serializer_context()).data, **kwargs)


class LegalHoldList(_HoldView):
    @extend_schema(
        operation_id="ListLegalHold",
        summary="The account's legal holds, newest first",
        parameters=[
            OpenApiParameter("Active", bool, description="Only active (true) or released (false)"),
            *PAGING_PARAMETERS,
        ],
        responses={
            200: list_response("ListLegalHoldResponse", LegalHoldSerializer, KEY),
            400: ERROR,
            403: ERROR,
        },
    )
    def get(self, request):
        given = request.query_params.get("Active", "") != ""
        active = boolean_param(request.query_params, "Active") if given else None
        paging = parse_page_request(request)
        qs = holds.legal_hold_list(account=self.account, active=active)
        page = keyset.keyset_page(qs, page_size=paging.page_size, cursor=paging.cursor)
        meta = list_meta(request, key=KEY, filter_names=("Active",), paging=paging, page=page)
        data = LegalHoldSerializer(page.rows, many=True, context=self.serializer_context()).data
        return Response({KEY: data, "meta": meta})

    @extend_schema(
        operation_id="CreateLegalHold",
        summary="Place a legal hold: nothing it covers can be deleted until it is released",
        request=CREATE_REQUEST,
        responses={201: LegalHoldDetailSerializer, 400: ERROR, 403: ERROR},
    )
    def post(self, request):
        form = LegalHoldForm({field: request.data.get(p, "") for p, field in PARAMETERS.items()})
        if not form.is_valid():
            field, errors = next(iter(form.errors.items()))
            name = next((p for p, f in PARAMETERS.items() if f == field), "Scope")
            raise invalid_parameter(name, " ".join(str(error) for error in errors))
        hold = holds.legal_hold_create(
            account=self.account, actor=actor_of(request), **form.cleaned_data
        )
        return self.render(hold, LegalHoldDetailSerializer, status=status.HTTP_201_CREATED)


class LegalHoldInstance(_HoldView):
    @extend_schema(
        operation_id="FetchLegalHold",
        summary="One legal hold, with what it covers in words and how many of each kind",
        parameters=[SID],
        responses={200: LegalHoldDetailSerializer, 403: ERROR, 404: ERROR},
    )
    def get(self, request, sid):
        return self.render(self.hold_or_404(sid), LegalHoldDetailSerializer)


class LegalHoldRelease(_HoldView):
    @extend_schema(
        operation_id="CreateLegalHoldRelease",
        summary="Release a legal hold: what it covered may be deleted again",
        parameters=[SID],
        request=None,
        responses={200: LegalHoldSerializer, 403: ERROR, 404: ERROR, 409: ERROR},
    )
    def post(self, request, sid):
        hold = self.hold_or_404(sid)
        try:
            released = holds.legal_hold_release(
                account=self.account, actor=actor_of(request), hold=hold
            )
        except holds.InvalidHold as exc:
            raise TwilioAPIError(CONFLICT, exc.message, status.HTTP_409_CONFLICT) from None
        return self.render(released)
