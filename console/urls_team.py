"""Console pages: members, API keys, recording settings, AWS credentials, audit log."""

from django.urls import path

from console.views import api_keys, audit, aws_credentials, members, recording_settings

app_name = "team"
urlpatterns = [
    path("members/", members.MemberList.as_view(), name="members"),
    path("members/add/", members.MemberAdd.as_view(), name="member-add"),
    path("members/<int:pk>/", members.MemberEdit.as_view(), name="member-edit"),
    path("members/<int:pk>/remove/", members.MemberRemove.as_view(), name="member-remove"),
    path("keys/", api_keys.KeyList.as_view(), name="keys"),
    path("keys/create/", api_keys.KeyCreate.as_view(), name="key-create"),
    path("keys/<str:sid>/revoke/", api_keys.KeyRevoke.as_view(), name="key-revoke"),
    path("settings/", recording_settings.RecordingSettingsEdit.as_view(), name="settings"),
    path("aws-credentials/", aws_credentials.AwsCredentialList.as_view(), name="aws-credentials"),
    path(
        "aws-credentials/<str:sid>/delete/",
        aws_credentials.AwsCredentialDelete.as_view(),
        name="aws-credentials-delete",
    ),
    path("audit/", audit.AuditLog.as_view(), name="audit"),
]
