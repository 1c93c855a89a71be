"""The account's recording defaults, external S3 storage and encryption (admins). A refused
value is said twice: in a "Not saved" banner naming the fields, and by the field itself."""

from django import forms
from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect
from django.views.generic import FormView

from console import selectors
from console.access import AccountPageMixin, actor_for
from console.roles import Action
from recordings.video import selectors as video_selectors
from recordings.video.models import PublicKey
from recordings.video.services.settings import (
    InvalidSetting,
    public_key_create,
    recording_settings_update,
)


class RecordingSettingsForm(forms.Form):
    record_participants_on_connect = forms.BooleanField(
        label="Record participants on connect for new rooms",
        required=False,
        help_text="Used when a group room is created without RecordParticipantsOnConnect. "
        "Rooms that exist already keep their own rules.",
    )
    friendly_name = forms.CharField(label="Name of these settings", max_length=255, required=False)
    aws_storage_enabled = forms.BooleanField(
        label="Store new recordings in our own S3 bucket",
        required=False,
        help_text="New recordings are written to the bucket and path below instead of Roomvault's "
        "store; they show it as media_external_location.",
    )
    aws_s3_url = forms.URLField(
        assume_scheme="https",
        label="S3 bucket URL",
        max_length=1024,
        required=False,
        help_text="For example https://my-bucket.s3.amazonaws.com/recordings/",
    )
    aws_credentials_sid = forms.ChoiceField(
        label="AWS credentials",
        required=False,
        help_text="Writes to the bucket are signed with these. Each is a CR… SID: add an access "
        "key under AWS credentials (or POST it to the API's /v1/Credentials/AWS), then choose "
        "it here.",
    )
    encryption_enabled = forms.BooleanField(
        label="Encrypt new recordings",
        required=False,
        help_text="Each new recording is encrypted for the public key below: only the holder of "
        "its private key can play it (manage.py decrypt_recording).",
    )
    encryption_key_sid = forms.ChoiceField(
        label="Public key",
        required=False,
        help_text="A CR… SID of a public key uploaded below (or with the API's "
        "/v1/Credentials/PublicKeys).",
    )
    new_public_key = forms.CharField(
        label="Or upload a new RSA public key (PEM)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="At least 2048 bits. It becomes the key used for encryption.",
    )
    new_public_key_name = forms.CharField(
        label="Name of the new key", max_length=64, required=False
    )

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["aws_credentials_sid"].choices = [("", "—")] + [
            (credential.sid, f"{credential.friendly_name or 'AWS credentials'} ({credential.sid})")
            for credential in selectors.aws_credentials_of(account=account)
        ]
        keys = PublicKey.objects.filter(account=account).order_by("-date_created", "-sid")
        self.fields["encryption_key_sid"].choices = [("", "—")] + [
            (key.sid, f"{key.friendly_name or 'public key'} ({key.sid})") for key in keys
        ]


SETTING_FIELDS = (
    "record_participants_on_connect",
    "friendly_name",
    "aws_storage_enabled",
    "aws_s3_url",
    "aws_credentials_sid",
    "encryption_enabled",
    "encryption_key_sid",
)


class RecordingSettingsEdit(AccountPageMixin, FormView):
    action = Action.ADMINISTER
    template_name = "console/team/settings.html"
    form_class = RecordingSettingsForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "account": self.account}

    def get_context_data(self, **kwargs):
        form = kwargs.get("form") or self.get_form()
        refused = [form.fields[name].label for name in form.errors if name in form.fields]
        return super().get_context_data(refused=refused, **kwargs)

    def get_initial(self):
        row = video_selectors.recording_settings_of(account=self.account)
        if row is None:
            return {}
        return {name: getattr(row, name) for name in SETTING_FIELDS}

    def form_valid(self, form):
        data = form.cleaned_data
        actor = actor_for(self.request)
        values = {name: data[name] for name in SETTING_FIELDS}
        for name in ("aws_s3_url", "aws_credentials_sid", "encryption_key_sid"):
            values[name] = values[name] or None
        try:
            with transaction.atomic():
                if data["new_public_key"].strip():
                    key = public_key_create(
                        account=self.account,
                        public_key=data["new_public_key"],
                        friendly_name=data["new_public_key_name"],
                        actor=actor,
                    )
                    values["encryption_key_sid"] = key.sid
                recording_settings_update(account=self.account, actor=actor, **values)
        except InvalidSetting as exc:
            field = "new_public_key" if exc.field == "public_key" else exc.field
            # The service says "is required when…" after the field's name, as the API's errors.
            label = form.fields[field].label if field in form.fields else exc.field
            form.add_error(field if field in form.fields else None, f"{label} {exc.message}.")
            return self.form_invalid(form)
        messages.success(self.request, "Recording settings saved.")
        return redirect("team:settings")
