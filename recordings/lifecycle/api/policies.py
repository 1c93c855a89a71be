"""``/roomvault/v1/RetentionPolicies``: an account's retention policies, a preview of what one
would delete, and each policy's runs. Governance, like the audit export: the auth token and Main
keys only (``MANAGE_RETENTION``). Handlers parse, call a selector or a service, and render."""

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from console.roles import Action
from recordings.lifecycle import policies
from recordings.lifecycle.api.base import missing
from recordings.lifecycle.api.policy_serializers import (
    PolicyParams,
    PolicyRunSerializer,
    PreviewParams,
    PreviewSerializer,
    RetentionPolicySerializer,
)
from recordings.lifecycle.models import RetentionPolicy
from recordings.twilio_api import keyset
from recordings.twilio_api.errors import invalid_parameter
from recordings.twilio_api.paging import list_meta, parse_page_request
from recordings.twilio_api.params import require_valid
from recordings.twilio_api.views import (
    ERROR,
    PAGING_PARAMETERS,
    TwilioAPIView,
    actor_of,
    list_response,
)

POLICIES_KEY = "retention_policies"
RUNS_KEY = "runs"
SID = OpenApiParameter("sid", str, OpenApiParameter.PATH, description="The policy's `RP…` SID")


def _checked(call: Callable[[], Any]) -> Any:
    """Return what a policy service returns; its refusals name the parameter they are about.

    The parameters' own checks ran first, so what the service still refuses is the filter: a
    query the kind's Logs form does not accept.
    """
    try:
        return call()
    except policies.InvalidPolicy as exc:
        raise invalid_parameter("Query", exc.message) from None


class _PolicyView(TwilioAPIView):
    # No docstring: drf-spectacular would publish it as each operation's description.
    required_action = Action.MANAGE_RETENTION

    def policy_or_404(self, sid: str) -> RetentionPolicy:
        policy = policies.policy_get(account=self.account, sid=sid)
        if policy is None:
            raise missing(self.request)
        return policy

    def render(self, policy: RetentionPolicy, http_status: int = status.HTTP_200_OK) -> Response:
        body = RetentionPolicySerializer(policy, context=self.serializer_context()).data
        return Response(body, status=http_status)

    def page(self, qs: QuerySet, *, key: str, serializer: type) -> Response:
        paging = parse_page_request(self.request)
        page = keyset.keyset_page(qs, page_size=paging.page_size, cursor=paging.cursor)
        meta = list_meta(self.request, key=key, filter_names=(), paging=paging, page=page)
        rows = serializer(page.rows, many=True, context=self.serializer_context()).data
        return Response({key: rows, "meta": meta})


class RetentionPolicyList(_PolicyView):
    @extend_schema(
        operation_id="ListRetentionPolicy",
        summary="The account's retention policies, newest first",
        parameters=PAGING_PARAMETERS,
        responses={
            200: list_response(
                "ListRetentionPolicyResponse", RetentionPolicySerializer, POLICIES_KEY
            ),
            400: ERROR,
            403: ERROR,
        },
    )
    def get(self, request):
        qs = policies.policy_list(account=self.account)
        return self.page(qs, key=POLICIES_KEY, serializer=RetentionPolicySerializer)

    @extend_schema(
        operation_id="CreateRetentionPolicy",
        summary="Save a retention policy; it runs daily while enabled",
        request=PolicyParams,
        responses={201: RetentionPolicySerializer, 400: ERROR, 403: ERROR},
    )
    def post(self, request):
        params = require_valid(PolicyParams(data=request.data)).validated_data
        policy = _checked(
            lambda: policies.policy_create(
                account=self.account,
                actor=actor_of(request),
                name=params["Name"],
                product=params["Product"],
                query=params["Query"],
                age_days=params["AgeDays"],
                enabled=params["Enabled"],
            )
        )
        return self.render(policy, status.HTTP_201_CREATED)


class RetentionPolicyPreview(_PolicyView):
    @extend_schema(
        operation_id="CreateRetentionPolicyPreview",
        summary="What a policy of this kind, filter and age would delete now; nothing is saved",
        description="The count is what a run at this moment deletes: held recordings and those "
        "that cannot be deleted yet are left out. The sample is the newest ten.",
        request=PreviewParams,
        responses={200: PreviewSerializer, 400: ERROR, 403: ERROR},
    )
    def post(self, request):
        params = require_valid(PreviewParams(data=request.data)).validated_data
        preview = _checked(
            lambda: policies.policy_preview(
                account=self.account,
                product=params["Product"],
                query=params["Query"],
                age_days=params["AgeDays"],
                now=timezone.now(),
            )
        )
        return Response(PreviewSerializer(preview).data)


class RetentionPolicyInstance(_PolicyView):
    @extend_schema(
        operation_id="FetchRetentionPolicy",
        summary="One retention policy",
        parameters=[SID],
        responses={200: RetentionPolicySerializer, 403: ERROR, 404: ERROR},
    )
    def get(self, request, sid):
        return self.render(self.policy_or_404(sid))

    @extend_schema(
        operation_id="UpdateRetentionPolicy",
        summary="Change a policy's name, filter, age or state (its product stays)",
        parameters=[SID],
        request=PolicyParams(partial=True),
        responses={200: RetentionPolicySerializer, 400: ERROR, 403: ERROR, 404: ERROR},
    )
    def post(self, request, sid):
        policy = self.policy_or_404(sid)
        params = require_valid(PolicyParams(data=request.data, partial=True)).validated_data
        if params.get("Product", policy.product) != policy.product:
            raise invalid_parameter("Product", "a policy's product cannot change")
        updated = _checked(
            lambda: policies.policy_update(
                policy=policy,
                actor=actor_of(request),
                name=params.get("Name", policy.name),
                query=params.get("Query", policy.query),
                age_days=params.get("AgeDays", policy.age_days),
                enabled=params.get("Enabled", policy.enabled),
            )
        )
        return self.render(updated)

    @extend_schema(
        operation_id="DeleteRetentionPolicy",
        summary="Delete a policy; a run under way goes on",
        parameters=[SID],
        responses={204: None, 403: ERROR, 404: ERROR},
    )
    def delete(self, request, sid):
        policies.policy_delete(policy=self.policy_or_404(sid), actor=actor_of(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class RetentionPolicyRuns(_PolicyView):
    @extend_schema(
        operation_id="ListRetentionPolicyRun",
        summary="A policy's runs (the bulk deletions it queued), newest first",
        parameters=[SID, *PAGING_PARAMETERS],
        responses={
            200: list_response("ListRetentionPolicyRunResponse", PolicyRunSerializer, RUNS_KEY),
            400: ERROR,
            403: ERROR,
            404: ERROR,
        },
    )
    def get(self, request, sid):
        qs = policies.policy_run_list(policy=self.policy_or_404(sid))
        return self.page(qs, key=RUNS_KEY, serializer=PolicyRunSerializer)
