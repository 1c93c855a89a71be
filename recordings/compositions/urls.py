"""Console pages: the Compositions Logs, one composition's details, media and deletion, composing
a room, and the composition hooks (admins).

Composition SIDs are matched by shape, so that nothing here shadows the other pages under
/compositions/."""

from django.urls import path, re_path

from recordings.compositions.views import hooks, logs, rooms

SID = r"(?P<sid>CJ[0-9a-fA-F]{32})"

app_name = "compositions"
urlpatterns = [
    path("", logs.CompositionListView.as_view(), name="list"),
    path("export.csv", logs.CompositionExportView.as_view(), name="export"),
    re_path(rf"^{SID}/$", logs.CompositionDetailView.as_view(), name="detail"),
    re_path(rf"^{SID}/media$", logs.CompositionMediaView.as_view(), name="media"),
    re_path(rf"^{SID}/delete/$", logs.CompositionDeleteView.as_view(), name="delete"),
    path("rooms/<str:sid>/compose/", rooms.ComposeView.as_view(), name="compose"),
    path("hooks/", hooks.HookListView.as_view(), name="hooks"),
    path("hooks/<str:sid>/", hooks.HookEditView.as_view(), name="hook-edit"),
    path("hooks/<str:sid>/toggle/", hooks.HookToggleView.as_view(), name="hook-toggle"),
    path("hooks/<str:sid>/delete/", hooks.HookDeleteView.as_view(), name="hook-delete"),
]
