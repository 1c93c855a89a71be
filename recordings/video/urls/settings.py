"""The account's recording settings and AWS credentials pages (admins), under /team/ with the
team pages (the root URLconf joins them into the "team" namespace)."""

from django.urls import path

from recordings.video.views import aws_credentials, settings

urlpatterns = [
    path("settings/", settings.RecordingSettingsEdit.as_view(), name="settings"),
    path("aws-credentials/", aws_credentials.AwsCredentialList.as_view(), name="aws-credentials"),
    path(
        "aws-credentials/<str:sid>/delete/",
        aws_credentials.AwsCredentialDelete.as_view(),
        name="aws-credentials-delete",
    ),
]
