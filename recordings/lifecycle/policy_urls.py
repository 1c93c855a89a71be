"""Console pages: retention policies (list, create and edit with a preview, run now, delete)."""

from django.urls import path

from recordings.lifecycle.views import policies

app_name = "policies"
urlpatterns = [
    path("", policies.PolicyListView.as_view(), name="list"),
    path("new/", policies.PolicyCreateView.as_view(), name="create"),
    path("<str:sid>/", policies.PolicyDetailView.as_view(), name="detail"),
    path("<str:sid>/edit/", policies.PolicyEditView.as_view(), name="edit"),
    path("<str:sid>/run/", policies.PolicyRunView.as_view(), name="run"),
    path("<str:sid>/delete/", policies.PolicyDeleteView.as_view(), name="delete"),
]
