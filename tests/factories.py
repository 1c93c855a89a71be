"""Builders of test data, one per model (factory_boy). Prefer services where a service exists."""

import secrets
from datetime import UTC, datetime, timedelta
from functools import cache

import factory
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from console.models import (
    AWS_SECRET_PURPOSE,
    Account,
    ApiKey,
    AuditEvent,
    AwsCredential,
    Invitation,
    Membership,
    new_secret,
    secret_digest,
)
from console.roles import Role, Scope
from console.sealing import seal
from console.sids import new_sid
from recordings.compositions.models import Composition, CompositionHook, CompositionSettings
from recordings.imports.models import ImportItem, ImportJob
from recordings.lifecycle.models import (
    BulkDeletion,
    CallbackAttempt,
    CallbackDelivery,
    LegalHold,
    RetentionPolicy,
    TrashedItem,
)
from recordings.video.choices import (
    CONTAINER_FOR_TYPE,
    Codec,
    MediaType,
    ParticipantStatus,
    RecordingStatus,
)
from recordings.video.models import (
    Participant,
    PublicKey,
    Recording,
    RecordingRules,
    RecordingSettings,
    Room,
    Track,
)
from recordings.voice.choices import CallbackEvent, RecordingSource
from recordings.voice.models import Call, Conference, Transcription, VoiceRecording


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
    # As ``member_set`` leaves a member added without one: signing in needs force_login.
    password = factory.django.Password(None)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    account = factory.SubFactory(AccountFactory)
    role = Role.MEMBER


class DigestOnlyFactory(factory.django.DjangoModelFactory):
    """A row that stores only the digest of its secret: the secret, declared under the name in
    ``_secret_name``, is handed to the test on the instance, as the creating service returns it
    once (``NewApiKey.secret``, ``NewInvitation.token``)."""

    class Meta:
        abstract = True

    _secret_name = ""

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        secret = kwargs.pop(cls._secret_name)
        instance = super()._build(model_class, *args, **kwargs)
        setattr(instance, cls._secret_name, secret)
        return instance

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        secret = kwargs.pop(cls._secret_name)
        instance = super()._create(model_class, *args, **kwargs)
        setattr(instance, cls._secret_name, secret)
        return instance


class ApiKeyFactory(DigestOnlyFactory):
    """A usable API key (SK…): authenticate with ``key.sid`` and ``key.secret``."""

    class Meta:
        model = ApiKey

    _secret_name = "secret"

    account = factory.SubFactory(AccountFactory)
    friendly_name = factory.Sequence(lambda n: f"key {n}")
    scope = Scope.STANDARD
    # Shaped as api_key_create makes them.
    secret = factory.LazyFunction(lambda: new_secret() + new_secret())
    secret_hash = factory.LazyAttribute(lambda k: secret_digest(k.secret))


class InvitationFactory(DigestOnlyFactory):
    """A pending invitation; its link's token is ``invitation.token``."""

    class Meta:
        model = Invitation

    _secret_name = "token"

    account = factory.SubFactory(AccountFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.com")
    role = Role.MEMBER
    # Shaped as invitation_create makes them.
    token = factory.LazyFunction(lambda: secrets.token_urlsafe(32))
    token_hash = factory.LazyAttribute(lambda i: secret_digest(i.token))
    expires = factory.LazyFunction(
        lambda: timezone.now() + timedelta(days=settings.INVITATION_EXPIRY_DAYS)
    )


class AwsCredentialFactory(factory.django.DjangoModelFactory):
    """Stored AWS credentials; ``secret_access_key()`` unseals the secret given as ``secret``."""

    class Meta:
        model = AwsCredential

    class Params:
        secret = factory.Sequence(lambda n: f"wJalrXUtnFEMI/K7MDENG/bPxRfiCY{n:010d}")

    account = factory.SubFactory(AccountFactory)
    access_key_id = factory.Sequence(lambda n: f"AKIA{n:016d}")
    secret_sealed = factory.LazyAttribute(lambda c: seal(c.secret, purpose=AWS_SECRET_PURPOSE))


class AuditEventFactory(factory.django.DjangoModelFactory):
    """An event as ``audit_record`` writes it: the system's, or ``actor_user``'s if given."""

    class Meta:
        model = AuditEvent

    account = factory.SubFactory(AccountFactory)
    actor_user = None
    actor = factory.Maybe(
        "actor_user",
        yes_declaration=factory.LazyAttribute(lambda e: f"user:{e.actor_user.username}"),
        no_declaration="system",
    )
    action = "recording.delete"
    object_sid = factory.Sequence(lambda n: f"RT{n:032x}")


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


class RecordingRulesFactory(factory.django.DjangoModelFactory):
    """A room's rules as stored (record everything), checks bypassed: ``rules_apply`` checks."""

    class Meta:
        model = RecordingRules

    room = factory.SubFactory(RoomFactory)
    rules = factory.LazyFunction(lambda: [{"type": "include", "all": True}])
    date_created = factory.SelfAttribute("room.date_created")
    date_updated = factory.SelfAttribute("date_created")


class CallbackDeliveryFactory(factory.django.DjangoModelFactory):
    """A room event waiting to be delivered (nothing queues it: deliver it yourself)."""

    class Meta:
        model = CallbackDelivery

    room = factory.SubFactory(RoomFactory, status_callback="https://example.com/callbacks")
    account = factory.SelfAttribute("room.account")
    event = "room-created"
    url = factory.SelfAttribute("room.status_callback")
    method = factory.SelfAttribute("room.status_callback_method")
    params = factory.LazyAttribute(
        lambda d: {
            "AccountSid": d.account.sid,
            "RoomSid": d.room.sid,
            "StatusCallbackEvent": d.event,
        }
    )


class CallbackAttemptFactory(factory.django.DjangoModelFactory):
    """A first attempt that the receiver answered 200."""

    class Meta:
        model = CallbackAttempt

    delivery = factory.SubFactory(CallbackDeliveryFactory, status=CallbackDelivery.Status.DELIVERED)
    number = 1
    status_code = 200
    duration_ms = 42


class BulkDeletionFactory(factory.django.DjangoModelFactory):
    """A queued deletion of the video recordings a Logs filter matches (nothing runs it)."""

    class Meta:
        model = BulkDeletion

    account = factory.SubFactory(AccountFactory)
    actor = "system"
    query = "status=completed"
    chunk_size = factory.LazyFunction(lambda: settings.BULK_DELETE_CHUNK)
    date_created = factory.LazyFunction(timezone.now)
    date_updated = factory.SelfAttribute("date_created")


class LegalHoldFactory(factory.django.DjangoModelFactory):
    """An active hold on one room (SID made up: a hold may name a room before it has any)."""

    class Meta:
        model = LegalHold

    account = factory.SubFactory(AccountFactory)
    name = "Litigation"
    scope = LegalHold.Scope.ROOM
    value = factory.LazyFunction(lambda: new_sid("RM"))
    selections = factory.LazyAttribute(
        lambda o: {
            kind: {"room_sid": o.value, "include_deleted": True}
            for kind in ("video", "composition")
        }
    )
    created_by = "system"
    date_created = factory.LazyFunction(timezone.now)


class RetentionPolicyFactory(factory.django.DjangoModelFactory):
    """Delete every video recording 400 days after creation."""

    class Meta:
        model = RetentionPolicy

    account = factory.SubFactory(AccountFactory)
    name = "Everything after 400 days"
    product = "video"
    selection = factory.LazyFunction(dict)
    age_days = 400
    created_by = "system"
    date_created = factory.LazyFunction(timezone.now)
    date_updated = factory.SelfAttribute("date_created")


class TrashedItemFactory(factory.django.DjangoModelFactory):
    """A deleted recording of an account with the trash on, restorable for TRASH_DAYS."""

    class Meta:
        model = TrashedItem

    sid = factory.LazyAttribute(lambda o: o.recording.sid)
    account = factory.SelfAttribute("recording.account")
    kind = "video"
    previous_status = RecordingStatus.COMPLETED
    date_trashed = factory.LazyFunction(timezone.now)
    date_expires = factory.LazyAttribute(
        lambda o: o.date_trashed + timedelta(days=settings.TRASH_DAYS)
    )

    class Params:
        recording = factory.SubFactory(
            "tests.factories.RecordingFactory",
            status=RecordingStatus.DELETED,
            date_deleted=factory.LazyFunction(timezone.now),
        )


@cache
def rsa_private_key() -> rsa.RSAPrivateKey:
    """Return one RSA key per test run: making one takes a good part of a second."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class PublicKeyFactory(factory.django.DjangoModelFactory):
    """An uploaded RSA public key; pass ``private_key=`` to hold the key that decrypts."""

    class Meta:
        model = PublicKey

    class Params:
        private_key = factory.LazyFunction(rsa_private_key)

    account = factory.SubFactory(AccountFactory)
    friendly_name = factory.Sequence(lambda n: f"public key {n}")
    # As public_key_create stores it: the PEM, ending in one newline.
    public_key = factory.LazyAttribute(
        lambda k: (
            k.private_key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )
    )


class ConferenceFactory(factory.django.DjangoModelFactory):
    """A conference in progress, as ``conference_start`` reports it."""

    class Meta:
        model = Conference

    account = factory.SubFactory(AccountFactory)
    friendly_name = factory.Sequence(lambda n: f"conference-{n}")
    date_created = factory.LazyFunction(timezone.now)
    date_updated = factory.SelfAttribute("date_created")


class CallFactory(factory.django.DjangoModelFactory):
    """A call in progress, as ``call_start`` reports it; in the account of its conference, if
    given one."""

    class Meta:
        model = Call

    conference = None
    account = factory.Maybe(
        "conference",
        yes_declaration=factory.SelfAttribute("conference.account"),
        no_declaration=factory.SubFactory(AccountFactory),
    )
    from_number = factory.Sequence(lambda n: f"+1555{n:07d}")
    to_number = "+15550100000"
    date_created = factory.LazyFunction(timezone.now)
    date_updated = factory.SelfAttribute("date_created")


class VoiceRecordingFactory(factory.django.DjangoModelFactory):
    """A call recording being captured, as ``voice_recording_start`` begins it (no audio: give it
    some with ``voice_recording_audio_ingest``); ``of_conference=True`` records a conference."""

    class Meta:
        model = VoiceRecording

    class Params:
        of_conference = factory.Trait(
            call=None,
            conference=factory.SubFactory(ConferenceFactory),
            source=RecordingSource.START_CONFERENCE_RECORDING_API,
        )

    call = factory.SubFactory(CallFactory)
    conference = None
    account = factory.Maybe(
        "call",
        yes_declaration=factory.SelfAttribute("call.account"),
        no_declaration=factory.SelfAttribute("conference.account"),
    )
    source = RecordingSource.START_CALL_RECORDING_API
    status_callback_events = factory.LazyFunction(lambda: [CallbackEvent.COMPLETED])
    start_time = factory.SelfAttribute("date_created")
    date_created = factory.LazyFunction(timezone.now)
    date_updated = factory.SelfAttribute("date_created")


class TranscriptionFactory(factory.django.DjangoModelFactory):
    """A transcription of a voice recording (nothing here makes them: they come from imports)."""

    class Meta:
        model = Transcription

    recording = factory.SubFactory(VoiceRecordingFactory)
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


class CompositionFactory(factory.django.DjangoModelFactory):
    """A composition of an ended room, as stored: real ones come from ``composition_create``."""

    class Meta:
        model = Composition

    room = factory.SubFactory(RoomFactory, status="completed")
    account = factory.SelfAttribute("room.account")
    audio_sources = factory.LazyFunction(lambda: ["*"])
    date_created = factory.Sequence(
        lambda n: datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=n)
    )
    date_updated = factory.SelfAttribute("date_created")


class CompositionHookFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CompositionHook

    account = factory.SubFactory(AccountFactory)
    friendly_name = factory.Sequence(lambda n: f"hook-{n}")
    audio_sources = factory.LazyFunction(lambda: ["*"])
    date_created = factory.LazyFunction(timezone.now)
    date_updated = factory.SelfAttribute("date_created")


class CompositionSettingsFactory(factory.django.DjangoModelFactory):
    """A settings row as stored, checks bypassed (``composition_settings_update`` checks)."""

    class Meta:
        model = CompositionSettings

    account = factory.SubFactory(AccountFactory)


def completed_recordings_create(account, n: int) -> None:
    """Store ``n`` completed recordings of one new track of ``account``, a second apart, in one
    statement: enough rows for a bulk deletion's chunks without a factory call each."""
    template = RecordingFactory.build(
        track=TrackFactory(participant__room__account=account), status=RecordingStatus.COMPLETED
    )
    fields = {
        f.attname: getattr(template, f.attname)
        for f in Recording._meta.concrete_fields
        if f.attname not in ("sid", "date_created", "date_updated")
    }
    start = timezone.now() - timedelta(days=1)
    Recording.objects.bulk_create(
        Recording(**fields, date_created=start + timedelta(seconds=i), date_updated=start)
        for i in range(n)
    )
