"""Helpers shared by the tests that check the /v1 API against Twilio's own client and schema."""

import copy
import json
import re
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from openapi_schema_validator import OAS30Validator, oas30_format_checker
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

REFERENCE_DIR = Path(__file__).resolve().parent / "reference"
VIDEO_V1 = "twilio_video_v1.json"
# The voice Recording paths of twilio_api_v2010.json (see tests/reference/README.md).
API_V2010 = "twilio_api_v2010_recordings.json"

# The only form of timestamp the twilio library turns into a datetime (DESIGN.md, "traps").
TWILIO_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def twilio_client(base_url: str, username: str, password: str, account_sid: str | None = None):
    """Return the official client with its Video and Api domains pointed at ``base_url``.

    Every request goes through ``Domain.absolute_url`` (``base_url`` + the version's path), and
    paging follows the absolute ``meta`` URLs (Video) or the relative ``next_page_uri`` on the
    same domain (Api) the server returns, so this is the one setting needed. Edge and region are
    cleared so a ``TWILIO_EDGE``/``TWILIO_REGION`` in the environment
    cannot rewrite the host. Connections are not pooled: on a kept-alive connection to Django's
    test server each request waits ~40 ms for a delayed ACK, a new one costs ~4 ms.
    """
    client = Client(username, password, account_sid, http_client=TwilioHttpClient(False))
    client.edge = client.region = None
    client.video.base_url = base_url
    client.api.base_url = base_url
    return client


@cache
def reference(name: str = VIDEO_V1) -> dict:
    """Return an official Twilio OpenAPI document (Video v1 unless named)."""
    return json.loads((REFERENCE_DIR / name).read_text())


def resolve_refs(node, document: dict):
    """Return ``node`` with every local ``$ref`` replaced by a copy of what it points to."""
    if isinstance(node, dict):
        if "$ref" in node:
            target = document
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            return resolve_refs(copy.deepcopy(target), document)
        return {key: resolve_refs(value, document) for key, value in node.items()}
    if isinstance(node, list):
        return [resolve_refs(item, document) for item in node]
    return node


def reference_response_schema(
    path: str, method: str = "get", status: str = "200", document: str = VIDEO_V1
) -> dict:
    """Return the resolved JSON schema of one response body in a reference."""
    operation = reference(document)["paths"][path][method]
    schema = operation["responses"][status]["content"]["application/json"]["schema"]
    return resolve_refs(schema, reference(document))


def schema_errors(body, schema: dict) -> list[str]:
    """Return every way ``body`` violates an OpenAPI 3.0 schema (formats checked too)."""
    validator = OAS30Validator(schema, format_checker=oas30_format_checker)
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '<root>'}: {error.message}"
        for error in validator.iter_errors(body)
    ]


def is_absolute_url(value: str) -> bool:
    """Tell whether a string is an absolute http(s) URL."""
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)
