"""The page middleware runs for console pages and not for the APIs (console/middleware.py): an API
answer carries no cookie or CSP but keeps the security headers, and skipping the
page middleware neither lets a session into the API nor lets a page out of CSRF or CSP."""

import pytest
from django.test import Client

from tests.helpers import assert_twilio_error

API_PATHS = [
    "/v1/Recordings",
    "/2010-04-01/Accounts/{sid}/Recordings.json",
    "/ingest/v1/NoSuchThing",
]


@pytest.mark.parametrize("path", API_PATHS)
def test_api_answers_carry_the_security_headers_and_nothing_of_pages(api, account, path):
    response = api.get(path.format(sid=account.sid))
    assert response.status_code < 500, response.content
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"  # kept: check --deploy wants it everywhere
    for header in ("Set-Cookie", "Content-Security-Policy", "Vary"):
        assert header not in response, header


def test_a_console_session_does_not_authenticate_the_api(console_client):
    signed_in = console_client("owner")
    assert_twilio_error(signed_in.get("/v1/Recordings"), 401, 20003)


def test_console_pages_keep_their_middleware(console_client):
    page = console_client("owner").get("/recordings/")
    assert page.status_code == 200
    assert "Content-Security-Policy" in page
    assert page["X-Frame-Options"] == "DENY"
    assert page.wsgi_request.user.is_authenticated


def test_console_forms_still_need_a_csrf_token(account):
    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/login/", {"username": "a@example.com", "password": "x"}).status_code == 403


@pytest.mark.parametrize("public_base_url", ["", "https://recordings.example.com"])
@pytest.mark.parametrize("path", API_PATHS)
def test_api_requests_to_a_host_not_allowed_are_refused(
    api, account, settings, public_base_url, path
):
    # With PUBLIC_BASE_URL the API builds no URL from the Host: the host check must run anyway.
    settings.PUBLIC_BASE_URL = public_base_url

    response = api.get(path.format(sid=account.sid), HTTP_HOST="attacker.example")

    assert response.status_code == 400
