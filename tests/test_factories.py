"""Every model of ours has a factory, and every factory builds a row its model accepts, whole in
one account."""

import inspect

import factory
import pytest
from django.apps import apps
from django.utils import timezone
from rest_framework.test import APIClient

from console.models import Account, secret_digest
from recordings.media.encryption import load_public_key
from tests import factories
from tests.helpers import basic_auth

pytestmark = pytest.mark.django_db

FACTORIES = [
    f
    for _, f in inspect.getmembers(factories, inspect.isclass)
    if issubclass(f, factory.django.DjangoModelFactory) and f._meta.model is not None
]


def accounts_of(instance) -> set[str]:
    """Return the accounts of an instance and of every row it points to that has one."""
    found = set()
    for field in instance._meta.concrete_fields:
        if field.related_model is Account:
            found.add(getattr(instance, field.attname))
        elif field.is_relation and hasattr(field.related_model, "account"):
            related = getattr(instance, field.name)
            if related is not None:
                found.add(related.account_id)
    return found


@pytest.mark.parametrize("model_factory", FACTORIES, ids=lambda f: f.__name__)
def test_every_factory_makes_a_valid_row_in_one_account(model_factory):
    instance = model_factory()
    instance.refresh_from_db()
    instance.full_clean()
    assert len(accounts_of(instance)) <= 1


def test_every_model_of_ours_has_a_factory():
    made = {f._meta.model for f in FACTORIES}
    ours = {
        model
        for config in apps.get_app_configs()
        if config.name.split(".")[0] in ("console", "recordings")
        for model in config.get_models()
    }
    assert len(ours) >= 20  # the domain apps' models are found, not just console's
    assert not {model.__name__ for model in ours - made}


def test_an_api_key_from_the_factory_authenticates_with_its_secret(client):
    key = factories.ApiKeyFactory()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=basic_auth(key.sid, key.secret))
    assert api.get("/v1/Rooms").status_code == 200
    api.credentials(HTTP_AUTHORIZATION=basic_auth(key.sid, key.secret[::-1]))
    assert api.get("/v1/Rooms").status_code == 401


def test_secrets_from_the_factories_open_what_they_should():
    invitation = factories.InvitationFactory()
    assert invitation.token_hash == secret_digest(invitation.token)
    assert invitation.unusable_because(timezone.now()) is None
    credential = factories.AwsCredentialFactory(secret="s3cr3t")
    assert credential.secret_access_key() == "s3cr3t"
    assert load_public_key(factories.PublicKeyFactory().public_key).key_size == 2048


def test_related_rows_follow_the_account_they_are_given(account):
    recording = factories.VoiceRecordingFactory(call__account=account)
    conference_recording = factories.VoiceRecordingFactory(
        of_conference=True, conference__account=account
    )
    call = factories.CallFactory(conference=conference_recording.conference)
    assert {recording.account, conference_recording.account, call.account} == {account}
    assert conference_recording.call is None
