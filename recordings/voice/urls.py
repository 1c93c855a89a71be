"""Console pages: the Voice Recordings Logs, one recording's details, its audio, its deletion.

Recording SIDs are matched by shape, as on the video Logs, so that nothing here shadows a page
added under /voice/ later.
"""

from django.urls import path, re_path

from recordings.voice import views

SID = r"(?P<sid>RE[0-9a-fA-F]{32})"

app_name = "voice"
urlpatterns = [
    path("", views.VoiceRecordingListView.as_view(), name="list"),
    path("export.csv", views.VoiceRecordingExportView.as_view(), name="export"),
    re_path(rf"^{SID}/$", views.VoiceRecordingDetailView.as_view(), name="detail"),
    re_path(rf"^{SID}/media$", views.VoiceRecordingMediaView.as_view(), name="media"),
    re_path(rf"^{SID}/delete/$", views.VoiceRecordingDeleteView.as_view(), name="delete"),
]
