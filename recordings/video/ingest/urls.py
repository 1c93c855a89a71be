"""Routes of the media-server and telephony-platform APIs, under /ingest/v1."""

from django.urls import path, re_path

from recordings.video.ingest import views
from recordings.voice import ingest as voice

urlpatterns = [
    path("Rooms", views.Rooms.as_view()),
    path("Rooms/<str:room>", views.RoomState.as_view()),
    path("Rooms/<str:room>/Participants", views.Participants.as_view()),
    path("Rooms/<str:room>/Participants/<str:participant>", views.Participant.as_view()),
    path("Rooms/<str:room>/Participants/<str:participant>/Tracks", views.Tracks.as_view()),
    path("Rooms/<str:room>/Tracks/<str:track>", views.Track.as_view()),
    path("Recordings/<str:sid>/Media", views.RecordingMedia.as_view()),
    path("Recordings/<str:sid>/Failure", views.RecordingFailure.as_view()),
    path("Calls", voice.Calls.as_view()),
    path("Calls/<str:call>", voice.CallState.as_view()),
    path("Calls/<str:call>/Recordings", voice.CallRecordings.as_view()),
    path("Calls/<str:call>/End", voice.CallEnd.as_view()),
    path("Conferences", voice.Conferences.as_view()),
    path("Conferences/<str:conference>/Participants", voice.ConferenceParticipants.as_view()),
    path("Conferences/<str:conference>/End", voice.ConferenceEnd.as_view()),
    path("VoiceRecordings/<str:sid>/Audio", voice.RecordingAudio.as_view()),
    re_path(r"^(?P<rest>.*)$", views.unknown_path),
]
