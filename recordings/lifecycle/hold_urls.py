"""Console pages: legal holds."""

from django.urls import path

from recordings.lifecycle.views import holds

app_name = "holds"
urlpatterns = [
    path("", holds.LegalHoldListView.as_view(), name="list"),
    path("new/", holds.LegalHoldCreateView.as_view(), name="create"),
    path("<str:sid>/", holds.LegalHoldDetailView.as_view(), name="detail"),
    path("<str:sid>/release/", holds.LegalHoldReleaseView.as_view(), name="release"),
]
