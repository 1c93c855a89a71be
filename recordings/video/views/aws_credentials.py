"""The account's AWS credentials (admins): add (the secret is never shown again), delete."""

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.views import View
from django.views.generic import FormView

from console import selectors
from console.access import AccountPageMixin, actor_for
from console.roles import Action
from recordings.lifecycle.exceptions import CredentialsInUse
from recordings.video.services.settings import (
    InvalidSetting,
    aws_credential_create,
    aws_credential_delete,
)

LIST_CAP = 500


class AwsCredentialForm(forms.Form):
    name = forms.CharField(label="Friendly name", max_length=64, required=False)
    access_key_id = forms.CharField(label="Access key ID", max_length=128)
    secret_access_key = forms.CharField(
        label="Secret access key",
        max_length=128,
        strip=False,
        widget=forms.PasswordInput,
        help_text="Kept encrypted and used only to sign writes to your bucket; never shown again.",
    )


class AwsCredentialList(AccountPageMixin, FormView):
    action = Action.ADMINISTER
    template_name = "console/team/aws_credentials.html"
    form_class = AwsCredentialForm

    def get_context_data(self, **kwargs):
        credentials = list(selectors.aws_credentials_of(account=self.account)[: LIST_CAP + 1])
        return super().get_context_data(
            credentials=credentials[:LIST_CAP], truncated=len(credentials) > LIST_CAP, **kwargs
        )

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            credential = aws_credential_create(
                account=self.account,
                credentials=f"{data['access_key_id']}:{data['secret_access_key']}",
                friendly_name=data["name"],
                actor=actor_for(self.request),
            )
        except InvalidSetting as exc:
            form.add_error("access_key_id", exc.message)
            return self.form_invalid(form)
        messages.success(self.request, f"AWS credentials {credential.sid} added.")
        return redirect("team:aws-credentials")


class AwsCredentialDelete(AccountPageMixin, View):
    action = Action.ADMINISTER

    def post(self, request, sid):
        credential = selectors.aws_credential_get(account=self.account, sid=sid)
        if credential is None:
            raise Http404("No such AWS credentials")
        try:
            aws_credential_delete(credential=credential, actor=actor_for(request))
        except CredentialsInUse as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"AWS credentials {sid} deleted.")
        return redirect("team:aws-credentials")
