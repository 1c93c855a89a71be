"""Console pages: imports from a Twilio-compatible account (list and start, one job's progress)."""

from django.urls import path

from recordings.imports import views

app_name = "imports"
urlpatterns = [
    path("", views.ImportListView.as_view(), name="list"),
    path("<int:pk>/", views.ImportJobView.as_view(), name="job"),
]
