"""Enumerations in the reference's own spelling (``composition_enum_status``, ``…_format``)."""

from django.db import models


class CompositionStatus(models.TextChoices):
    ENQUEUED = "enqueued"
    PROCESSING = "processing"
    COMPLETED = "completed"
    DELETED = "deleted"
    FAILED = "failed"


class CompositionFormat(models.TextChoices):
    MP4 = "mp4"
    WEBM = "webm"


CONTENT_TYPE_FOR_FORMAT: dict[str, str] = {
    CompositionFormat.MP4: "video/mp4",
    CompositionFormat.WEBM: "video/webm",
}
