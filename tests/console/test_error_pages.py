"""The 403, 404 and 500 pages, as production serves them (DEBUG off): in the console's layout,
with the reason and a way back; the 500 page even with the database down."""

import pytest
from django.test import Client
from django.urls import path, reverse

from console import urls as console_urls
from console.access import ACTION_DOING, RoleRequired
from console.roles import Action, Role, least_role_allowing
from tests.factories import RecordingFactory


def boom(request):
    raise RuntimeError("a bug")


# This module is also the URLconf of the 500 tests: the console's, plus a page that fails.
urlpatterns = [path("boom/", boom), *console_urls.urlpatterns]
handler403 = console_urls.handler403
handler404 = console_urls.handler404
handler500 = console_urls.handler500


@pytest.fixture(autouse=True)
def _production(settings):
    settings.DEBUG = False


@pytest.mark.parametrize(
    ("action", "role"),
    [
        (Action.VIEW, Role.VIEWER),
        (Action.PLAY, Role.MEMBER),
        (Action.EDIT_RULES, Role.MEMBER),
        (Action.DELETE, Role.ADMIN),
        (Action.ADMINISTER, Role.ADMIN),
        (Action.MANAGE_MEMBERS, Role.OWNER),
        (Action.INGEST, None),
        (Action.REPLAY_CALLBACKS, Role.MEMBER),
        (Action.MANAGE_RETENTION, Role.ADMIN),
        (Action.MANAGE_HOLDS, Role.OWNER),
    ],
)
def test_the_least_role_allowing_an_action_comes_from_the_role_table(action, role):
    assert least_role_allowing(action) == role


def test_every_action_says_what_it_is_on_the_403_page():
    assert set(ACTION_DOING) == set(Action)
    assert RoleRequired(Action.DELETE).reason == "Deleting needs the Admin role."


def test_a_role_refusal_names_the_role_in_the_layout(console_client, account):
    client = console_client("viewer")
    recording = RecordingFactory(track__participant__room__account=account)

    response = client.get(reverse("recordings:delete", args=[recording.sid]))

    assert response.status_code == 403
    body = response.content.decode()
    assert '<nav class="sidebar" aria-label="Main">' in body
    assert "Deleting needs the Admin role." in body
    assert f'<a class="button" href="{reverse("home")}">Back to the dashboard</a>' in body


def test_an_owner_only_page_refuses_an_admin_with_the_owner_role(console_client):
    response = console_client("admin").get(reverse("team:members"))
    assert response.status_code == 403
    assert "Managing members needs the Owner role." in response.content.decode()


def test_an_unknown_page_is_a_404_in_the_layout(console_client):
    response = console_client("member").get("/no/such/page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert '<nav class="sidebar" aria-label="Main">' in body
    assert "There is no page at <code>/no/such/page/</code>" in body


def test_an_unknown_page_signed_out_offers_the_sign_in(db, client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "sidebar" not in body
    assert "Go to the sign-in page" in body


@pytest.mark.urls(__name__)
def test_the_500_page_renders_with_the_database_down():
    # No `db` fixture: pytest-django refuses every query, as a database that is down would.
    client = Client(raise_request_exception=False)
    response = client.get("/boom/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong on our side" in body
    assert '<a class="button" href="/">Back to the dashboard</a>' in body


def test_the_favicon_is_an_svg(client):
    response = client.get("/favicon.ico", follow=False)
    assert response.status_code == 301
    assert response["Location"].endswith("img/favicon.svg")
