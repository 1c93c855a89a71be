"""Routes under /roomvault/v1: Roomvault's own extension of the API, spelled as Twilio's are."""

from django.urls import path, re_path

from recordings.lifecycle.api import views
from recordings.twilio_api.views import unknown_path

urlpatterns = [
    path("CallbackDeliveries", views.CallbackDeliveryList.as_view()),
    path("CallbackDeliveries/<str:delivery_id>", views.CallbackDeliveryInstance.as_view()),
    path("CallbackDeliveries/<str:delivery_id>/Replay", views.CallbackDeliveryReplay.as_view()),
    re_path(r"^(?P<rest>.*)$", unknown_path),
]
