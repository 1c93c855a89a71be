"""Console forms shared by several pages."""

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm


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


class EmailPasswordResetForm(PasswordResetForm):
    """Mail a reset link to the login with this email, also one whose password was never set.

    Django skips logins without a usable password; ours are people added before invitations (or
    by add_member without a password), and the mailed link is how they prove the address is
    theirs. The page answers the same whether or not the email has a login.
    """

    def get_users(self, email):
        return get_user_model()._default_manager.filter(
            username=email.lower(), email__iexact=email, is_active=True
        )


class ConfirmForm(forms.Form):
    """The second step of a destructive action: an explicit confirmation."""

    confirm = forms.BooleanField(required=True, widget=forms.HiddenInput, initial=True)
