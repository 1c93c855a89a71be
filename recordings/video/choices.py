"""Enumerations in the reference's own spelling (seed 000, reference schema)."""

from django.db import models


class RecordingStatus(models.TextChoices):
    PROCESSING = "processing"
    COMPLETED = "completed"
    DELETED = "deleted"
    FAILED = "failed"


class MediaType(models.TextChoices):
    AUDIO = "audio"
    VIDEO = "video"
    DATA = "data"


class Codec(models.TextChoices):
    VP8 = "VP8"
    H264 = "H264"
    OPUS = "OPUS"
    PCMU = "PCMU"


class ContainerFormat(models.TextChoices):
    MKA = "mka"
    MKV = "mkv"


class RoomStatus(models.TextChoices):
    IN_PROGRESS = "in-progress"
    COMPLETED = "completed"
    FAILED = "failed"


class RoomType(models.TextChoices):
    GO = "go"
    PEER_TO_PEER = "peer-to-peer"
    GROUP = "group"
    GROUP_SMALL = "group-small"


class ParticipantStatus(models.TextChoices):
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"


# Matroska: audio-only files are .mka, anything with video is .mkv (seed 000).
CONTAINER_FOR_TYPE: dict[str, ContainerFormat] = {
    MediaType.AUDIO: ContainerFormat.MKA,
    MediaType.VIDEO: ContainerFormat.MKV,
}
CONTENT_TYPE_FOR_CONTAINER = {
    ContainerFormat.MKA: "audio/x-matroska",
    ContainerFormat.MKV: "video/x-matroska",
}
