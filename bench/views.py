"""Baseline views the figures are compared with; none of them is part of the product.

- ``trivial``: the least a Django view can answer through the app's own middleware stack, the
  floor of any request's cost on this server.
- ``NaiveRecordingList``: what a plain DRF list of the same rows costs: a ``ModelSerializer`` of
  every field and DRF's ``CursorPagination``, over the very queryset ``/v1/Recordings`` reads (same
  authentication, same filters, same selector), so only serialisation and paging differ.
"""

from django.http import JsonResponse
from rest_framework import generics, pagination, serializers

from recordings.twilio_api import keyset
from recordings.video import selectors
from recordings.video.api.filters import RecordingFilterSet, recording_filter
from recordings.video.models import Recording


def trivial(request):
    """Answer a tiny JSON body."""
    return JsonResponse({"ok": True})


class NaiveRecordingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Recording
        fields = "__all__"


class NaiveCursorPagination(pagination.CursorPagination):
    ordering = keyset.LIST_ORDER
    page_size = 50
    page_size_query_param = "PageSize"
    max_page_size = 1000


class NaiveRecordingList(generics.ListAPIView):
    """``/v1/Recordings`` as a textbook DRF view would serve it (authentication from settings:
    the app's Twilio Basic class)."""

    serializer_class = NaiveRecordingSerializer
    pagination_class = NaiveCursorPagination

    def get_queryset(self):
        wanted = recording_filter(RecordingFilterSet, self.request.query_params)
        return selectors.recording_list(account=self.request.auth, filter=wanted)
