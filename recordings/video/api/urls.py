"""Routes under /v1, spelled exactly as Twilio's Video API spells them."""

from django.urls import path, re_path

from recordings.twilio_api.views import unknown_path
from recordings.video.api import rooms, settings, views

urlpatterns = [
    path("Rooms", rooms.RoomList.as_view()),
    path("Rooms/<str:room>", rooms.RoomInstance.as_view()),
    path("Rooms/<str:room>/Participants", rooms.ParticipantList.as_view()),
    path("Rooms/<str:room>/Participants/<str:participant>", rooms.ParticipantInstance.as_view()),
    path("Recordings", views.RecordingList.as_view()),
    path("Recordings/<str:sid>", views.RecordingInstance.as_view()),
    path("Recordings/<str:sid>/Media", views.RecordingMedia.as_view()),
    path("Rooms/<str:room_sid>/Recordings", views.RoomRecordingList.as_view()),
    path("Rooms/<str:room_sid>/Recordings/<str:sid>", views.RoomRecordingInstance.as_view()),
    path("Rooms/<str:room_sid>/Recordings/<str:sid>/Media", views.RoomRecordingMedia.as_view()),
    path("Rooms/<str:room>/RecordingRules", views.RoomRecordingRules.as_view()),
    path("RecordingSettings/Default", settings.RecordingSettingsDefault.as_view()),
    path("Credentials/PublicKeys", settings.PublicKeyList.as_view()),
    path("Credentials/AWS", settings.AwsCredentialList.as_view()),
    path("Credentials/AWS/<str:sid>", settings.AwsCredentialInstance.as_view()),
    re_path(r"^(?P<rest>.*)$", unknown_path),
]
bare_root = [
    re_path(r"^v1$", unknown_path, {"rest": ""}),
]
