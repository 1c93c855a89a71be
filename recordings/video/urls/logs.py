"""Console pages: the Recordings Logs, one recording's details, its media (the original, and its
playable rendition), its deletion.

Recording SIDs are matched by shape, so that nothing here shadows the pages included under
/recordings/ after it (``bulk`` lives at /recordings/bulk/).
"""

from django.urls import path, re_path

from recordings.video.views import logs

SID = r"(?P<sid>RT[0-9a-fA-F]{32})"

app_name = "recordings"
urlpatterns = [
    path("", logs.RecordingListView.as_view(), name="list"),
    path("export.csv", logs.RecordingExportView.as_view(), name="export"),
    re_path(rf"^{SID}/$", logs.RecordingDetailView.as_view(), name="detail"),
    re_path(rf"^{SID}/media$", logs.RecordingMediaView.as_view(), name="media"),
    re_path(rf"^{SID}/playback$", logs.RecordingPlaybackView.as_view(), name="playback"),
    re_path(rf"^{SID}/delete/$", logs.RecordingDeleteView.as_view(), name="delete"),
]
