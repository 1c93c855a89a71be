"""Unexpected failures under /v1 still answer in the Twilio error body, never an HTML page."""

import pytest
from rest_framework.test import APIClient

from recordings.video import selectors
from tests.helpers import basic_auth


@pytest.fixture
def unraised_api(account) -> APIClient:
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=basic_auth(account.sid, account.auth_token))
    return client


def test_a_failure_inside_a_view_answers_a_twilio_500(unraised_api, monkeypatch):
    def fail(**kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(selectors, "recording_list", fail)
    response = unraised_api.get("/v1/Recordings")
    assert response.status_code == 500
    assert response.json() == {
        "code": 20500,
        "message": "Internal server error",
        "more_info": "https://www.twilio.com/docs/errors/20500",
        "status": 500,
    }
    assert "database on fire" not in response.content.decode()


def test_django_level_handlers_answer_twilio_bodies_under_v1_only(rf):
    from django.core.exceptions import RequestDataTooBig

    from console import urls
    from recordings.twilio_api import errors

    assert urls.handler500 == "recordings.twilio_api.errors.server_error"
    assert urls.handler400 == "recordings.twilio_api.errors.bad_request"
    assert errors.server_error(rf.get("/v1/Recordings")).status_code == 500
    assert errors.server_error(rf.get("/v1/Recordings"))["Content-Type"] == "application/json"
    too_big = errors.bad_request(rf.post("/v1/Rooms/x/RecordingRules"), RequestDataTooBig())
    assert (too_big.status_code, too_big.content.count(b"20413")) == (413, 2)
    assert "text/html" in errors.server_error(rf.get("/login/"))["Content-Type"]
