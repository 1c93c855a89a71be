"""Enumerations in the reference's own spelling (seed 000, reference schema); the API shows the
values, the console the labels, as people write them."""

from django.db import models


class RecordingStatus(models.TextChoices):
    PROCESSING = "processing", "Processing"
    COMPLETED = "completed", "Completed"
    DELETED = "deleted", "Deleted"
    FAILED = "failed", "Failed"


class MediaType(models.TextChoices):
    AUDIO = "audio", "Audio"
    VIDEO = "video", "Video"
    DATA = "data", "Data"


class Codec(models.TextChoices):
    VP8 = "VP8", "VP8"
    H264 = "H264", "H.264"
    OPUS = "OPUS", "Opus"
    PCMU = "PCMU", "PCMU"


class ContainerFormat(models.TextChoices):
    MKA = "mka", "MKA"
    MKV = "mkv", "MKV"


class RoomStatus(models.TextChoices):
    IN_PROGRESS = "in-progress", "In progress"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"


class RoomType(models.TextChoices):
    GO = "go", "Go"
    PEER_TO_PEER = "peer-to-peer", "Peer-to-peer"
    GROUP = "group", "Group"
    GROUP_SMALL = "group-small", "Group small"


class ParticipantStatus(models.TextChoices):
    CONNECTED = "connected", "Connected"
    DISCONNECTED = "disconnected", "Disconnected"


# Matroska: audio-only files are .mka, anything with video is .mkv (seed 000).
CONTAINER_FOR_TYPE: dict[str, ContainerFormat] = {
    MediaType.AUDIO: ContainerFormat.MKA,
    MediaType.VIDEO: ContainerFormat.MKV,
}
CONTENT_TYPE_FOR_CONTAINER = {
    ContainerFormat.MKA: "audio/x-matroska",
    ContainerFormat.MKV: "video/x-matroska",
}
