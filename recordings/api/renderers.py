"""JSON rendering with orjson: several times faster than the standard library on list pages."""

import orjson
from rest_framework.renderers import JSONRenderer


class ORJSONRenderer(JSONRenderer):
    """Render API bodies as compact UTF-8 JSON, as DRF's JSONRenderer does, only faster.

    Bodies hold only str, int, bool, None, lists and dicts: serializers format dates themselves.
    """

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        return b"" if data is None else orjson.dumps(data)
