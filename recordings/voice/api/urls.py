"""Routes under /2010-04-01/Accounts/{AccountSid}/, spelled exactly as Twilio spells them."""

from django.urls import path, re_path

from recordings.api import views as v1_views
from recordings.voice.api import views

SID = r"(?P<sid>[^/.]+)"

urlpatterns = [
    path("Recordings.json", views.RecordingList.as_view()),
    re_path(rf"^Recordings/{SID}\.(?P<ext>json|xml)$", views.RecordingInstance.as_view()),
    re_path(rf"^Recordings/{SID}(?:\.(?P<ext>wav|mp3))?$", views.RecordingMedia.as_view()),
    path("Recordings/<str:sid>/Transcriptions.json", views.TranscriptionList.as_view()),
    re_path(
        rf"^Recordings/{SID}/Transcriptions/(?P<transcription_sid>[^/.]+)\.json$",
        views.TranscriptionInstance.as_view(),
    ),
    path("Calls/<str:call_sid>/Recordings.json", views.CallRecordingList.as_view()),
    re_path(
        r"^Calls/(?P<call_sid>[^/]+)/Recordings/(?P<sid>[^/]+)\.json$",
        views.CallRecordingInstance.as_view(),
    ),
    path(
        "Conferences/<str:conference_sid>/Recordings.json",
        views.ConferenceRecordingList.as_view(),
    ),
    re_path(
        r"^Conferences/(?P<conference_sid>[^/]+)/Recordings/(?P<sid>[^/]+)\.json$",
        views.ConferenceRecordingInstance.as_view(),
    ),
]

# Any other path under /2010-04-01: a Twilio 404, after authentication.
fallback = [re_path(r"^2010-04-01(?P<rest>/.*|)$", v1_views.unknown_path)]
