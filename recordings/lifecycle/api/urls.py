"""Routes under /roomvault/v1: Roomvault's own extension of the API, spelled as Twilio's are."""

from django.urls import path, re_path

from recordings.lifecycle.api import audit, holds, policies, trash, views
from recordings.twilio_api.views import unknown_path

urlpatterns = [
    path("AuditEvents.csv", audit.AuditEventsCsv.as_view()),
    path("AuditEvents.jsonl", audit.AuditEventsJsonl.as_view()),
    path("CallbackDeliveries", views.CallbackDeliveryList.as_view()),
    path("CallbackDeliveries/<str:delivery_id>", views.CallbackDeliveryInstance.as_view()),
    path("CallbackDeliveries/<str:delivery_id>/Replay", views.CallbackDeliveryReplay.as_view()),
    path("LegalHolds", holds.LegalHoldList.as_view()),
    path("LegalHolds/<str:sid>", holds.LegalHoldInstance.as_view()),
    path("LegalHolds/<str:sid>/Release", holds.LegalHoldRelease.as_view()),
    path("TrashSettings", trash.TrashSettingsInstance.as_view()),
    path("Trash", trash.TrashList.as_view()),
    path("Trash/<str:sid>", trash.TrashInstance.as_view()),
    path("Trash/<str:sid>/Restore", trash.TrashRestore.as_view()),
    path("RetentionPolicies", policies.RetentionPolicyList.as_view()),
    path("RetentionPolicies/Preview", policies.RetentionPolicyPreview.as_view()),
    path("RetentionPolicies/<str:sid>", policies.RetentionPolicyInstance.as_view()),
    path("RetentionPolicies/<str:sid>/Runs", policies.RetentionPolicyRuns.as_view()),
    re_path(r"^(?P<rest>.*)$", unknown_path),
]
