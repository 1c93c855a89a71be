"""Console pages: the webhook log."""

from django.urls import path

from recordings.lifecycle.views import webhooks

app_name = "webhooks"
urlpatterns = [
    path("", webhooks.WebhookLogView.as_view(), name="list"),
    path("<int:pk>/replay/", webhooks.WebhookReplayView.as_view(), name="replay"),
]
