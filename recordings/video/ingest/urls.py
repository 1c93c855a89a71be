"""Routes of the media-server API, under /ingest/v1 beside the telephony platform's."""

from django.urls import path

from recordings.video.ingest import views

urlpatterns = [
    path("Rooms", views.Rooms.as_view()),
    path("Rooms/<str:room>", views.RoomState.as_view()),
    path("Rooms/<str:room>/Participants", views.Participants.as_view()),
    path("Rooms/<str:room>/Participants/<str:participant>", views.Participant.as_view()),
    path("Rooms/<str:room>/Participants/<str:participant>/Tracks", views.Tracks.as_view()),
    path("Rooms/<str:room>/Tracks/<str:track>", views.Track.as_view()),
    path("Recordings/<str:sid>/Media", views.RecordingMedia.as_view()),
    path("Recordings/<str:sid>/Failure", views.RecordingFailure.as_view()),
]
