"""Routes under /v1 for compositions, spelled exactly as Twilio's Video API spells them (mounted
before the video routes, whose last route answers every other path with a 404)."""

from django.urls import path

from recordings.compositions.api import views

urlpatterns = [
    path("Compositions", views.CompositionList.as_view()),
    path("Compositions/<str:sid>", views.CompositionInstance.as_view()),
    path("Compositions/<str:sid>/Media", views.CompositionMedia.as_view()),
    path("CompositionHooks", views.CompositionHookList.as_view()),
    path("CompositionHooks/<str:sid>", views.CompositionHookInstance.as_view()),
    path("CompositionSettings/Default", views.CompositionSettingsDefault.as_view()),
]
