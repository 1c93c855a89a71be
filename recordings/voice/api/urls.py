"""Routes under /2010-04-01/Accounts/{AccountSid}/, spelled exactly as Twilio spells them.

The extension is part of each route (``.json``, ``.xml``, ``.wav``, ``.mp3`` or none), matched
before the bare media route, which would otherwise take ``RE….json`` for a SID.
"""

from django.urls import path, re_path

from recordings.twilio_api.views import unknown_path
from recordings.voice.api import views

urlpatterns = [
    path("Recordings.json", views.RecordingList.as_view()),
    path("Recordings/<str:sid>.json", views.RecordingInstance.as_view(), {"ext": "json"}),
    path("Recordings/<str:sid>.xml", views.RecordingXML.as_view(), {"ext": "xml"}),
    path("Recordings/<str:sid>.wav", views.RecordingMedia.as_view(), {"ext": "wav"}),
    path("Recordings/<str:sid>.mp3", views.RecordingMedia.as_view(), {"ext": "mp3"}),
    path("Recordings/<str:sid>/Transcriptions.json", views.TranscriptionList.as_view()),
    path(
        "Recordings/<str:recording_sid>/Transcriptions/<str:sid>.json",
        views.TranscriptionInstance.as_view(),
    ),
    path("Recordings/<str:sid>", views.RecordingMedia.as_view(), {"ext": "wav"}),
    path("Calls/<str:call_sid>/Recordings.json", views.CallRecordingList.as_view()),
    path("Calls/<str:call_sid>/Recordings/<str:sid>.json", views.CallRecordingInstance.as_view()),
    path(
        "Conferences/<str:conference_sid>/Recordings.json",
        views.ConferenceRecordingList.as_view(),
    ),
    path(
        "Conferences/<str:conference_sid>/Recordings/<str:sid>.json",
        views.ConferenceRecordingInstance.as_view(),
    ),
]

# Any other path under /2010-04-01: a Twilio 404, after authentication.
fallback = [re_path(r"^2010-04-01(?P<rest>/.*|)$", unknown_path)]
