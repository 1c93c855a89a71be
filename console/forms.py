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


class DateRangeForm(forms.Form):
    """A filter form with a date range, refusing one that ends before it starts: it would list
    nothing, and say nothing of why.

    ``date_range`` names the start and end fields; ``date_range_inclusive`` tells whether the end
    is in the range (an end equal to the start is then one day, not an empty range).
    """

    date_range: tuple[str, str] = ("date_from", "date_to")
    date_range_inclusive = False

    def clean(self):
        data = super().clean()
        start_name, end_name = self.date_range
        start, end = data.get(start_name), data.get(end_name)
        if start is not None and end is not None:
            empty = start > end if self.date_range_inclusive else start >= end
            if empty:
                start_label = self.fields[start_name].label
                end_label = self.fields[end_name].label
                self.add_error(
                    start_name,
                    f"“{start_label}” must be earlier than “{end_label}”: this range is empty.",
                )
        return data
