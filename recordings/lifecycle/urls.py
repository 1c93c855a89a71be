"""Console pages: bulk deletion (select → confirm → job → progress)."""

from django.urls import path

from recordings.lifecycle.views import bulk

app_name = "bulk"
urlpatterns = [
    path("", bulk.BulkListView.as_view(), name="list"),
    path("select/", bulk.BulkSelectView.as_view(), name="select"),
    path("create/", bulk.BulkCreateView.as_view(), name="create"),
    path("<int:pk>/", bulk.BulkProgressView.as_view(), name="progress"),
]
