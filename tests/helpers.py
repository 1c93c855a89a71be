"""Shared test vocabulary: Twilio's error body, and the rules documents Twilio refuses."""

import base64
import json
import time
from html.parser import HTMLParser

from rest_framework.test import APIClient

ERROR_KEYS = {"code", "message", "more_info", "status"}


def basic_auth(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def assert_twilio_error(response, status: int, code: int) -> dict:
    """Assert a response is exactly Twilio's error body for this status and code; return it."""
    assert response.status_code == status, getattr(response, "content", response)
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == ERROR_KEYS
    assert (body["code"], body["status"]) == (code, status)
    assert body["more_info"] == f"https://www.twilio.com/docs/errors/{code}"
    assert body["message"]
    return body


# Seed 002's invalid examples and the other conditions it lists (error 53120).
INVALID_RULES = {
    "seed-empty-set": "[]",
    "seed-all-false": '[{"type":"include", "all": false}]',
    "seed-kind-twice": '[{"type": "include", "kind": "audio", "kind": "video"}]',
    "seed-all-string-with-kind": '[{"type": "include", "all": "true", "kind": "audio"}]',
    "all-string-true": '[{"type": "include", "all": "true"}]',
    "all-with-publisher": '[{"type": "include", "all": true, "publisher": "Alice"}]',
    "no-type": '[{"all": true}]',
    "bad-type": '[{"type": "record", "all": true}]',
    "kind-data": '[{"type": "include", "kind": "data"}]',
    "second-rule-wrong": '[{"type": "include", "all": true}, {"type": "exclude", "kind": "x"}]',
    "no-filter": '[{"type": "include"}]',
    "unknown-filter": '[{"type": "include", "room": "x"}]',
    "publisher-empty": '[{"type": "include", "publisher": ""}]',
    "track-number": '[{"type": "include", "track": 5}]',
    "not-json": "not json",
    "empty-string": "",
    "object": "{}",
    "object-rule": '{"type": "include", "all": true}',
    "null": "null",
    "rule-is-string": '["include"]',
    "twenty-one": json.dumps([{"type": "include", "all": True}] * 21),
    "trailing-garbage": '[{"type": "include", "all": true}] x',
    "nan": '[{"type": "include", "all": NaN}]',
    "deep-nesting": "[" * 100_000 + "]" * 100_000,
    "huge-integer": '[{"type": "include", "all": ' + "1" * 5000 + "}]",
}


class _FormInputs(HTMLParser):
    """Collect the inputs of one form of a page (by action, and id if given), as a browser would
    post them: inputs (checkboxes when ticked), each select's selected option (else its first),
    and textareas."""

    def __init__(self, action: str, form_id: str | None = None):
        super().__init__()
        self.action, self.form_id = action, form_id
        self.inside, self.data = False, {}
        self.select: str | None = None  # the select being read, until its first option is known
        self.chosen: dict[str, str] = {}
        self.textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("action") == self.action:
            self.inside = self.form_id is None or attrs.get("id") == self.form_id
        elif not self.inside or attrs.get("name") == "csrfmiddlewaretoken":
            return
        elif tag == "input" and self._posted(attrs):
            self.data.setdefault(attrs["name"], []).append(attrs.get("value", ""))
        elif tag == "select" and attrs.get("name"):
            self.select = attrs["name"]
        elif tag == "option" and self.select is not None:
            value = attrs.get("value", "")
            if "selected" in attrs or self.select not in self.chosen:
                self.chosen[self.select] = value
        elif tag == "textarea" and attrs.get("name"):
            self.textarea = attrs["name"]
            self.data[self.textarea] = [""]

    def handle_data(self, data):
        if self.textarea is not None:
            self.data[self.textarea][0] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select" and self.select is not None:
            self.data[self.select] = [self.chosen.get(self.select, "")]
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            # A browser drops the one newline that may follow the opening tag.
            self.data[self.textarea][0] = self.data[self.textarea][0].removeprefix("\n")
            self.textarea = None

    @staticmethod
    def _posted(attrs: dict) -> bool:
        # Unticked checkboxes are not posted.
        if attrs.get("type") == "checkbox" and "checked" not in attrs:
            return False
        return attrs.get("name") is not None


def form_data(page: str, action: str, form_id: str | None = None) -> dict[str, list[str]]:
    """Return what a browser would post from the form of ``page`` that posts to ``action``."""
    parser = _FormInputs(action, form_id)
    parser.feed(page)
    return parser.data


def schema_operations(schema: dict, prefix: str) -> dict[tuple[str, str], str]:
    """Return the operation ids an OpenAPI schema gives, by (path, method), for the paths
    starting with ``prefix``."""
    return {
        (path, method): operation["operationId"]
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
        if path.startswith(prefix)
    }


def wait_for(predicate, seconds: float = 30.0, interval: float = 0.1) -> bool:
    """Poll ``predicate`` until it holds (True) or ``seconds`` have passed (False)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


def client_for(username: str, password: str) -> APIClient:
    """Return an API client sending these HTTP Basic credentials."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=basic_auth(username, password))
    return client
