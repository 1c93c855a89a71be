"""Console pages: the trash."""

from django.urls import path

from recordings.lifecycle.views import trash

app_name = "trash"
urlpatterns = [
    path("", trash.TrashView.as_view(), name="list"),
    path("setting/", trash.TrashSettingView.as_view(), name="setting"),
    path("<str:sid>/restore/", trash.TrashRestoreView.as_view(), name="restore"),
]
