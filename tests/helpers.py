"""Shared test vocabulary: Twilio's error body, and the rules documents Twilio refuses."""

import json

ERROR_KEYS = {"code", "message", "more_info", "status"}


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
