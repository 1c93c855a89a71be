"""An account's recording defaults, external S3 storage and encryption, its public keys and its
AWS credentials."""

import enum
import re
from typing import TypeVar, cast

from django.db import models, transaction

from console import outbound
from console.models import AWS_SECRET_PURPOSE, Account, AwsCredential
from console.sealing import seal
from console.services import SYSTEM, Actor, audit_record
from recordings.lifecycle.exceptions import CredentialsInUse
from recordings.media.encryption import load_public_key
from recordings.media.external import (
    StorageSettings,
    on_configured_endpoint,
    operator_credentials_allowed,
    parse_s3_url,
)
from recordings.video.models import PublicKey, RecordingSettings

# Twilio's form: "AKIAIOSFODNN7EXAMPLE:wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".
_AWS_CREDENTIALS = re.compile(r"\A(?P<key>[A-Z0-9]{16,128}):(?P<secret>[\x21-\x7e]{1,128})\Z")


class _Unset(enum.Enum):
    """The type of UNSET: a setting the caller leaves as it is."""

    UNSET = enum.auto()


UNSET = _Unset.UNSET

M = TypeVar("M", bound=models.Model)


class InvalidSetting(ValueError):
    """A recording setting cannot take this value; ``field`` names it (model field name)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def storage_settings_check(row: StorageSettings) -> None:
    """Raise InvalidSetting unless a settings row (recordings' or compositions') names keys and
    credentials of its account, an S3 URL that is no internal address, and what its enabled
    storage and encryption need."""
    if (
        row.encryption_key_sid
        and not PublicKey.objects.filter(
            account_id=row.account_id, sid=row.encryption_key_sid
        ).exists()
    ):
        raise InvalidSetting("encryption_key_sid", "is not a public key of this account")
    if row.encryption_enabled and not row.encryption_key_sid:
        raise InvalidSetting("encryption_key_sid", "is required when encryption is enabled")
    if (
        row.aws_credentials_sid
        and not AwsCredential.objects.filter(
            account_id=row.account_id, sid=row.aws_credentials_sid
        ).exists()
    ):
        raise InvalidSetting("aws_credentials_sid", "is not AWS credentials of this account")
    url = row.aws_s3_url
    location = parse_s3_url(url) if url else None  # InvalidS3Url: below
    # A tenant's URL naming an internal host is refused; our own S3 server is the operator's.
    if url and not on_configured_endpoint(url):
        try:
            outbound.check_url(url)
        except outbound.OutboundRefused as exc:
            raise InvalidSetting("aws_s3_url", f"names an internal address: {exc.reason}") from None
    if not row.aws_storage_enabled:
        return
    if location is None:
        raise InvalidSetting("aws_s3_url", "is required when AWS storage is enabled")
    if not row.aws_credentials_sid and not operator_credentials_allowed(location.bucket):
        raise InvalidSetting(
            "aws_credentials_sid",
            f"is required to store recordings in the bucket {location.bucket}",
        )


def recording_settings_update(
    *,
    account: Account,
    record_participants_on_connect: bool | _Unset = UNSET,
    friendly_name: str | _Unset = UNSET,
    aws_credentials_sid: str | _Unset | None = UNSET,
    aws_s3_url: str | _Unset | None = UNSET,
    aws_storage_enabled: bool | _Unset = UNSET,
    encryption_key_sid: str | _Unset | None = UNSET,
    encryption_enabled: bool | _Unset = UNSET,
    actor: Actor = SYSTEM,
) -> RecordingSettings:
    """Change the given settings (the others keep their values); raise InvalidSetting if the
    result would be inconsistent (nothing is changed then).

    ``record_participants_on_connect`` is used when a group room is created without
    RecordParticipantsOnConnect; the others apply to recordings completed from now on.
    """
    return storage_settings_update(
        RecordingSettings,
        account=account,
        action="recording_settings.update",
        actor=actor,
        record_participants_on_connect=record_participants_on_connect,
        friendly_name=friendly_name,
        aws_credentials_sid=aws_credentials_sid,
        aws_s3_url=aws_s3_url,
        aws_storage_enabled=aws_storage_enabled,
        encryption_key_sid=encryption_key_sid,
        encryption_enabled=encryption_enabled,
    )


@transaction.atomic
def storage_settings_update(
    model: type[M], *, account: Account, action: str, actor: Actor, **values: object
) -> M:
    """Change the given fields of the account's row of a settings model (recordings' or
    compositions'), leaving UNSET ones; raise InvalidSetting, changing nothing, if the result
    would be inconsistent. The audit names each change."""
    row, _ = model._default_manager.select_for_update().get_or_create(account=account)
    changes = {name: value for name, value in values.items() if value is not UNSET}
    previous = {name: getattr(row, name) for name in changes}
    for name, value in changes.items():
        setattr(row, name, value)
    try:
        # Both settings models have the fields the check reads (StorageSettings).
        storage_settings_check(cast(StorageSettings, row))
    except InvalidSetting:
        raise
    except ValueError as exc:
        raise InvalidSetting("aws_s3_url", str(exc)) from exc
    row.save(update_fields=[*changes, "date_updated"])
    changed = [
        f"{_label(name)}: {previous[name]} → {value}"
        for name, value in changes.items()
        if previous[name] != value
    ]
    audit_record(
        account=account,
        actor=actor,
        action=action,
        object_sid=account.sid,
        object_repr="; ".join(changed)[:255] or "no change",
    )
    return row


def _label(name: str) -> str:
    return "record on connect" if name == "record_participants_on_connect" else name


@transaction.atomic
def public_key_create(
    *, account: Account, public_key: str, friendly_name: str = "", actor: Actor = SYSTEM
) -> PublicKey:
    """Store an RSA public key (PEM) of the account; raise InvalidSetting if it is not one."""
    try:
        load_public_key(public_key)
    except ValueError as exc:
        raise InvalidSetting("public_key", str(exc)) from exc
    key = PublicKey.objects.create(
        account=account, public_key=public_key.strip() + "\n", friendly_name=friendly_name
    )
    audit_record(
        account=account,
        actor=actor,
        action="public_key.create",
        object_sid=key.sid,
        object_repr=friendly_name or key.sid,
    )
    return key


@transaction.atomic
def aws_credential_create(
    *, account: Account, credentials: str, friendly_name: str = "", actor: Actor = SYSTEM
) -> AwsCredential:
    """Store the account's AWS credentials given as "ACCESS_KEY_ID:SECRET" (the secret sealed);
    raise InvalidSetting if they are not in that form."""
    match = _AWS_CREDENTIALS.match(credentials)
    if match is None:
        raise InvalidSetting("credentials", "must be an AWS access key ID and secret, as ID:SECRET")
    credential = AwsCredential.objects.create(
        account=account,
        friendly_name=friendly_name,
        access_key_id=match["key"],
        secret_sealed=seal(match["secret"], purpose=AWS_SECRET_PURPOSE),
    )
    audit_record(
        account=account,
        actor=actor,
        action="aws_credential.create",
        object_sid=credential.sid,
        object_repr=friendly_name or credential.access_key_id,
    )
    return credential


@transaction.atomic
def aws_credential_update(
    *, credential: AwsCredential, friendly_name: str, actor: Actor = SYSTEM
) -> AwsCredential:
    """Rename AWS credentials (the key and secret cannot change: store new ones instead)."""
    credential.friendly_name = friendly_name
    credential.save(update_fields=["friendly_name", "date_updated"])
    audit_record(
        account=credential.account,
        actor=actor,
        action="aws_credential.update",
        object_sid=credential.sid,
        object_repr=friendly_name or credential.sid,
    )
    return credential


# The settings models whose rows may name AWS credentials, and what each is called: an app above
# this one adds its own (compositions' settings) when it is ready.
_CREDENTIALS_USERS: dict[type[models.Model], str] = {RecordingSettings: "the recording settings"}


def credentials_user_register(model: type[models.Model], label: str) -> None:
    """Declare a settings model whose ``aws_credentials_sid`` keeps credentials from deletion."""
    _CREDENTIALS_USERS[model] = label


@transaction.atomic
def aws_credential_delete(*, credential: AwsCredential, actor: Actor = SYSTEM) -> None:
    """Delete AWS credentials; raise CredentialsInUse while settings name them (media in that
    bucket is read with them)."""
    for model, label in _CREDENTIALS_USERS.items():
        if model._default_manager.filter(
            account_id=credential.account_id, aws_credentials_sid=credential.sid
        ).exists():
            raise CredentialsInUse(
                f"AWS credentials {credential.sid} are named by AwsCredentialsSid of {label}: "
                "name others first"
            )
    audit_record(
        account=credential.account,
        actor=actor,
        action="aws_credential.delete",
        object_sid=credential.sid,
        object_repr=credential.friendly_name or credential.access_key_id,
    )
    credential.delete()
