"""Builders of test data, one per model (factory_boy). Prefer services where a service exists."""

from datetime import UTC, datetime, timedelta

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from console.models import Account
from recordings.imports.models import ImportItem, ImportJob
from recordings.video.choices import (
    CONTAINER_FOR_TYPE,
    Codec,
    MediaType,
    ParticipantStatus,
    RecordingStatus,
)
from recordings.video.models import Participant, Recording, RecordingSettings, Room, Track
from recordings.voice.models import Transcription


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    friendly_name = factory.Sequence(lambda n: f"Account {n}")


class UserFactory(factory.django.DjangoModelFactory):
    """A console login (the email is the username); memberships come from ``member_set``."""

    class Meta:
        model = get_user_model()

    username = factory.Sequence(lambda n: f"user{n}@example.com")
    email = factory.SelfAttribute("username")


class RecordingSettingsFactory(factory.django.DjangoModelFactory):
    """A settings row as stored, checks bypassed: for rows the services would refuse today."""

    class Meta:
        model = RecordingSettings

    account = factory.SubFactory(AccountFactory)


class RoomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Room

    account = factory.SubFactory(AccountFactory)
    unique_name = factory.Sequence(lambda n: f"room-{n}")
    date_created = factory.LazyFunction(timezone.now)
    date_updated = factory.SelfAttribute("date_created")


class ParticipantFactory(factory.django.DjangoModelFactory):
    """A participant who has left: live participants come from ``services.participant_connect``."""

    class Meta:
        model = Participant

    room = factory.SubFactory(RoomFactory)
    account = factory.SelfAttribute("room.account")
    identity = factory.Sequence(lambda n: f"participant-{n}")
    status = ParticipantStatus.DISCONNECTED
    date_created = factory.SelfAttribute("room.date_created")
    date_updated = factory.SelfAttribute("date_created")
    end_time = factory.SelfAttribute("date_created")


class TrackFactory(factory.django.DjangoModelFactory):
    """An unpublished track: live tracks come from ``services.track_publish``."""

    class Meta:
        model = Track

    participant = factory.SubFactory(ParticipantFactory)
    room = factory.SelfAttribute("participant.room")
    account = factory.SelfAttribute("participant.account")
    kind = MediaType.AUDIO
    name = factory.LazyAttribute(lambda t: f"{t.participant.identity}-{t.kind}")
    codec = factory.LazyAttribute(lambda t: Codec.OPUS if t.kind == MediaType.AUDIO else Codec.VP8)
    published = False
    date_created = factory.SelfAttribute("participant.date_created")
    date_updated = factory.SelfAttribute("date_created")


class RecordingFactory(factory.django.DjangoModelFactory):
    """A recording of a fresh track; pass ``track=`` to record an existing one."""

    class Meta:
        model = Recording

    track = factory.SubFactory(TrackFactory)
    participant = factory.SelfAttribute("track.participant")
    room = factory.SelfAttribute("track.room")
    account = factory.SelfAttribute("track.account")
    status = RecordingStatus.PROCESSING
    type = factory.SelfAttribute("track.kind")
    codec = factory.SelfAttribute("track.codec")
    container_format = factory.LazyAttribute(lambda r: CONTAINER_FOR_TYPE[r.type])
    track_name = factory.SelfAttribute("track.name")
    offset = 1_700_000_000_000
    date_created = factory.Sequence(
        lambda n: datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=n)
    )
    date_updated = factory.SelfAttribute("date_created")


class TranscriptionFactory(factory.django.DjangoModelFactory):
    """A transcription of a voice recording (nothing here makes them: they come from imports)."""

    class Meta:
        model = Transcription

    account = factory.SelfAttribute("recording.account")
    transcription_text = "hello"
    date_created = factory.LazyFunction(timezone.now)
    date_updated = factory.SelfAttribute("date_created")


class ImportJobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ImportJob

    account = factory.SubFactory(AccountFactory)
    kind = ImportJob.Kind.TWILIO
    source = "https://video.twilio.com"
    options = factory.LazyFunction(
        lambda: {"voice": False, "include_deleted": False, "since": None, "until": None}
    )


class ImportItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ImportItem

    job = factory.SubFactory(ImportJobFactory)
    sid = factory.Sequence(lambda n: f"RT{n:032x}")
    result = ImportItem.Result.IMPORTED
