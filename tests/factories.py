"""Builders of test data, one per model (factory_boy). Prefer services where a service exists."""

from datetime import UTC, datetime, timedelta

import factory
from django.utils import timezone

from console.models import Account
from recordings.choices import (
    CONTAINER_FOR_TYPE,
    Codec,
    MediaType,
    ParticipantStatus,
    RecordingStatus,
)
from recordings.models import Participant, Recording, Room, Track


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    friendly_name = factory.Sequence(lambda n: f"Account {n}")


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
