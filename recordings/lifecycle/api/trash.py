"""The /roomvault/v1 trash: the account's setting, its items and a restore. A trashed
recording's own resource answers as Twilio's does (status ``deleted``, media 404); only these
endpoints know it can come back. The auth token and Main keys only (MANAGE_RETENTION)."""

from typing import cast

from django import forms
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from console.roles import Action
from recordings.lifecycle import trash
from recordings.lifecycle.api.base import missing
from recordings.lifecycle.api.trash_serializers import (
    TrashedItemSerializer,
    TrashSettingsParams,
    TrashSettingsSerializer,
)
from recordings.lifecycle.kinds import kind_of, kinds
from recordings.lifecycle.models import TrashedItem
from recordings.twilio_api import keyset
from recordings.twilio_api.paging import list_meta, parse_page_request
from recordings.twilio_api.params import require_valid
from recordings.twilio_api.views import (
    ERROR,
    PAGING_PARAMETERS,
    TwilioAPIView,
    actor_of,
    list_response,
)

KEY = "items"
SID = OpenApiParameter(
    "sid", str, OpenApiParameter.PATH, description="The recording's SID (RT…, RE…, CJ…)"
)


class TrashQuery(forms.Form):
    """The list's query parameters, spelled as Twilio spells its filters."""

    Kind = forms.ChoiceField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The kinds are registered at start-up, after this module may have been imported.
        cast(forms.ChoiceField, self.fields["Kind"]).choices = [(k.name, k.name) for k in kinds()]


class _TrashView(TwilioAPIView):
    # No docstring: drf-spectacular would publish it as each operation's description.
    required_action = Action.MANAGE_RETENTION

    def render_items(self, items: list[TrashedItem]) -> list[dict]:
        descriptions = trash.trash_descriptions(account=self.account, items=items)
        context = {**self.serializer_context(), "descriptions": descriptions}
        return list(TrashedItemSerializer(items, context=context, many=True).data)

    def item_or_404(self, sid: str) -> TrashedItem:
        item = trash.trash_get(account=self.account, sid=sid)
        if item is None:
            raise missing(self.request)
        return item


class TrashSettingsInstance(_TrashView):
    def render(self) -> Response:
        return Response(
            TrashSettingsSerializer(self.account, context=self.serializer_context()).data
        )

    @extend_schema(
        operation_id="FetchTrashSettings",
        summary="Whether a delete keeps the media in the trash, and for how many days",
        responses={200: TrashSettingsSerializer, 401: ERROR, 403: ERROR},
    )
    def get(self, request):
        return self.render()

    @extend_schema(
        operation_id="UpdateTrashSettings",
        summary="Turn the trash on or off (off by default; items in it stay until they expire)",
        request=TrashSettingsParams,
        responses={200: TrashSettingsSerializer, 400: ERROR, 401: ERROR, 403: ERROR},
    )
    def post(self, request):
        params = require_valid(TrashSettingsParams(data=request.data)).validated_data
        trash.account_trash_set(
            account=self.account, actor=actor_of(request), enabled=params["Enabled"]
        )
        return self.render()


class TrashList(_TrashView):
    @extend_schema(
        operation_id="ListTrash",
        summary="Deleted recordings kept in the trash, most recently deleted first",
        parameters=[
            OpenApiParameter("Kind", str, enum=["video", "voice", "composition"]),
            *PAGING_PARAMETERS,
        ],
        responses={
            200: list_response("ListTrashResponse", TrashedItemSerializer, KEY),
            400: ERROR,
            401: ERROR,
            403: ERROR,
        },
    )
    def get(self, request):
        query = require_valid(TrashQuery(request.query_params))
        paging = parse_page_request(request)
        name = query.cleaned_data["Kind"]
        qs = trash.trash_list(account=self.account, kind=kind_of(name) if name else None)
        page = keyset.keyset_page(qs, page_size=paging.page_size, cursor=paging.cursor)
        meta = list_meta(request, key=KEY, filter_names=("Kind",), paging=paging, page=page)
        return Response({KEY: self.render_items(page.rows), "meta": meta})


class TrashInstance(_TrashView):
    @extend_schema(
        operation_id="FetchTrashedItem",
        summary="One deleted recording kept in the trash",
        parameters=[SID],
        responses={200: TrashedItemSerializer, 401: ERROR, 403: ERROR, 404: ERROR},
    )
    def get(self, request, sid):
        return Response(self.render_items([self.item_or_404(sid)])[0])


class TrashRestore(_TrashView):
    @extend_schema(
        operation_id="CreateTrashRestore",
        summary="Bring a recording back from the trash to the status it had, media untouched",
        parameters=[SID],
        request=None,
        responses={200: TrashedItemSerializer, 401: ERROR, 403: ERROR, 404: ERROR},
    )
    def post(self, request, sid):
        item = self.item_or_404(sid)
        described = self.render_items([item])[0]
        try:
            trash.trash_restore(account=self.account, actor=actor_of(request), sid=item.sid)
        except trash.NotInTrash:  # restored, expired or purged since it was read
            raise missing(self.request) from None
        return Response(described)
