"""Console pages: rooms, their recording rules, ending a room."""

from django.urls import path

from recordings.video.views import rooms

app_name = "rooms"
urlpatterns = [
    path("", rooms.RoomListView.as_view(), name="list"),
    path("<str:sid>/", rooms.RoomDetailView.as_view(), name="detail"),
    path("<str:sid>/rules/", rooms.RoomRulesView.as_view(), name="rules"),
    path("<str:sid>/end/", rooms.RoomEndView.as_view(), name="end"),
]
