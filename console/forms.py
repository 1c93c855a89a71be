"""Console forms shared by several pages."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm


class EmailAuthenticationForm(AuthenticationForm):
    """Sign in by email; stored usernames are lowercased emails."""

    username = forms.EmailField(label="Email", widget=forms.EmailInput(attrs={"autofocus": True}))

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That email and password do not match an account. Passwords are "
        "case-sensitive.",
    }

    def clean_username(self):
        return self.cleaned_data["username"].lower()


class ConfirmForm(forms.Form):
    """The second step of a destructive action: an explicit confirmation."""

    confirm = forms.BooleanField(required=True, widget=forms.HiddenInput, initial=True)
