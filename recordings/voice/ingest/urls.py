"""Routes of the telephony-platform API, under /ingest/v1 beside the media server's."""

from django.urls import path

from recordings.voice.ingest import views

urlpatterns = [
    path("Calls", views.Calls.as_view()),
    path("Calls/<str:call>", views.CallState.as_view()),
    path("Calls/<str:call>/Recordings", views.CallRecordings.as_view()),
    path("Calls/<str:call>/End", views.CallEnd.as_view()),
    path("Conferences", views.Conferences.as_view()),
    path("Conferences/<str:conference>/Participants", views.ConferenceParticipants.as_view()),
    path("Conferences/<str:conference>/End", views.ConferenceEnd.as_view()),
    path("VoiceRecordings/<str:sid>/Audio", views.RecordingAudio.as_view()),
]
