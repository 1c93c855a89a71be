"""Enumerations in the reference's own spelling (``composition_enum_status``, ``…_format``); the
API shows the values, the console the labels, as people write them."""

from django.db import models


class CompositionStatus(models.TextChoices):
    ENQUEUED = "enqueued", "Enqueued"
    PROCESSING = "processing", "Processing"
    COMPLETED = "completed", "Completed"
    DELETED = "deleted", "Deleted"
    FAILED = "failed", "Failed"


class CompositionFormat(models.TextChoices):
    MP4 = "mp4", "MP4"
    WEBM = "webm", "WebM"


CONTENT_TYPE_FOR_FORMAT: dict[str, str] = {
    CompositionFormat.MP4: "video/mp4",
    CompositionFormat.WEBM: "video/webm",
}
