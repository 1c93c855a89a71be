"""Root URLconf: console pages, the /v1 and /2010-04-01 Twilio-compatible APIs, ingest, signed
media, API schema."""

from csp.decorators import csp_update
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from console import urls_team
from console.forms import EmailAuthenticationForm, EmailPasswordResetForm
from console.views import auth, invitations, site
from recordings.media.views import serve_signed_media
from recordings.twilio_api import ingest
from recordings.video.api import urls as api_urls
from recordings.video.urls import settings as settings_urls
from recordings.video.views import dashboard
from recordings.voice.api import urls as voice_api_urls

urlpatterns = [
    path("", dashboard.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(authentication_form=EmailAuthenticationForm),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    # Same answer whether or not the email has a login; the mail goes only to an existing one.
    path(
        "password/reset/",
        auth_views.PasswordResetView.as_view(form_class=EmailPasswordResetForm),
        name="password_reset",
    ),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path(
        "invitations/<str:token>/",
        invitations.InvitationAccept.as_view(),
        name="invitation-accept",
    ),
    path("switch-account/", auth.switch, name="switch-account"),
    path("favicon.ico", site.favicon, name="favicon"),
    path("recordings/", include("recordings.video.urls.logs")),
    path("recordings/bulk/", include("recordings.lifecycle.urls")),
    path("voice/", include("recordings.voice.urls")),
    path("rooms/", include("recordings.video.urls.rooms")),
    path("compositions/", include("recordings.compositions.urls")),
    path(
        "team/",
        include((urls_team.urlpatterns + settings_urls.urlpatterns, urls_team.app_name)),
    ),
    path("imports/", include("recordings.imports.urls")),
    path("webhooks/", include("recordings.lifecycle.webhook_urls")),
    path("holds/", include("recordings.lifecycle.hold_urls")),
    path("trash/", include("recordings.lifecycle.trash_urls")),
    path("retention/", include("recordings.lifecycle.policy_urls")),
    path("v1/", include("recordings.compositions.api.urls")),
    path("v1/", include("recordings.video.api.urls")),
    *api_urls.bare_root,
    path("roomvault/v1/", include("recordings.lifecycle.api.urls")),
    path("2010-04-01/Accounts/<str:account_sid>/", include("recordings.voice.api.urls")),
    *voice_api_urls.fallback,
    path("ingest/v1/", include("recordings.video.ingest.urls")),
    path("ingest/v1/", include("recordings.voice.ingest.urls")),
    # After both products' routes: every other path under /ingest/v1 is a Twilio 404.
    re_path(r"^ingest/v1/(?P<rest>.*)$", ingest.unknown_path),
    path("media/<str:token>", serve_signed_media, name="signed-media"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "api/docs/",
        # Swagger UI's own stylesheet draws its icons as data: images.
        csp_update({"img-src": ["data:"]})(
            SpectacularSwaggerSplitView.as_view(
                url_name="api-schema", template_name="api/swagger_ui.html"
            )
        ),
        name="api-docs",
    ),
]

# Under the APIs, a refused or unknown path never reaches these: DRF answers its own 403s and 404s,
# and each API prefix ends in a catch-all that answers Twilio's 404.
handler400 = "recordings.twilio_api.errors.bad_request"
handler403 = "console.views.site.permission_denied"
handler404 = "console.views.site.page_not_found"
# Twilio's body under the APIs, else templates/500.html, rendered without touching the database.
handler500 = "recordings.twilio_api.errors.server_error"
