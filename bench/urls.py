"""The app's URLs, unchanged, plus the bench's baselines under /bench/."""

from django.contrib import admin
from django.urls import path

from bench import views
from console import urls as console_urls

# First, so that no catch-all of the app shadows them.
urlpatterns = [
    path("bench/trivial", views.trivial),
    path("bench/naive/Recordings", views.NaiveRecordingList.as_view()),
    path("bench/admin/", admin.site.urls),
    *console_urls.urlpatterns,
]

handler400 = console_urls.handler400
handler500 = console_urls.handler500
