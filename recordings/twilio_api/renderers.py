"""Renderers of Twilio's bodies: compact JSON with orjson (several times faster than the standard
library on list pages) and the 2010-04-01 API's XML (``<TwilioResponse>`` around the resource or
the ``RestException``, each field in PascalCase, nulls as empty elements)."""

import re
from collections.abc import Mapping
from typing import Any
from xml.etree import ElementTree

import orjson
from rest_framework.renderers import BaseRenderer, JSONRenderer


class ORJSONRenderer(JSONRenderer):
    """Render API bodies as compact UTF-8 JSON, as DRF's JSONRenderer does, only faster.

    Bodies hold only str, int, bool, None, lists and dicts: serializers format dates themselves.
    """

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        return b"" if data is None else orjson.dumps(data)


_ERROR_KEYS = {"code", "message", "more_info", "status"}
# Characters XML 1.0 does not allow, even escaped: ElementTree writes them as they are, and the
# document is then not well-formed (a path with %01 in an error message is enough).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _text(value: object) -> str:
    """Return a value as XML text, each character XML cannot carry replaced by U+FFFD."""
    return _NOT_XML.sub("\ufffd", str(value))


def _pascal(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


def _append(parent: ElementTree.Element, name: str, value: object) -> None:
    element = ElementTree.SubElement(parent, _pascal(name))
    if isinstance(value, dict):
        for key, item in value.items():
            _append(element, key, item)
    elif isinstance(value, bool):
        element.text = str(value).lower()
    elif value is not None:
        element.text = _text(value)


class TwilioXMLRenderer(BaseRenderer):
    """Render one resource (the view names it in ``xml_root``) or a Twilio error body as XML."""

    media_type = "application/xml"
    format = "xml"
    charset = "utf-8"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        if data is None:
            return b""
        view = (renderer_context or {}).get("view")
        root = ElementTree.Element("TwilioResponse")
        is_error = set(data) == _ERROR_KEYS
        resource = ElementTree.SubElement(
            root, "RestException" if is_error else getattr(view, "xml_root", "Resource")
        )
        for key, value in data.items():
            _append(resource, key, value)
        return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(
            root, encoding="utf-8", xml_declaration=False
        )
