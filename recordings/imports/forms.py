"""The console's form to start an import from a Twilio-compatible account (admins).

The auth token is a password input that is never rendered back, not even when the form comes
back with errors: it is typed again.
"""

from datetime import UTC, datetime, time
from urllib.parse import urlsplit

from django import forms

from console import outbound
from console.sids import is_sid
from recordings.imports.source import TWILIO_API


class ImportStartForm(forms.Form):
    source_account_sid = forms.CharField(
        label="Source account SID (AC…)",
        max_length=34,
        help_text="The account to import from: AC followed by 32 hex digits.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    auth_token = forms.CharField(
        label="Auth token",
        max_length=255,
        help_text="The source account's auth token. It is never shown again.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}, render_value=False),
    )
    api_base_url = forms.CharField(
        label="API base URL",
        max_length=1000,
        required=False,
        help_text=f"Leave empty for Twilio ({TWILIO_API}); or the http(s) address of a "
        "Twilio-compatible server, such as another Roomvault.",
        widget=forms.URLInput(attrs={"placeholder": TWILIO_API, "spellcheck": "false"}),
    )
    include_deleted = forms.BooleanField(
        label="Include deleted recordings",
        required=False,
        help_text="Deleted recordings are imported as deleted: their details without media.",
    )
    voice = forms.BooleanField(
        label="Voice (call) recordings too",
        required=False,
        help_text="Video recordings are always imported; tick to import the account's "
        "2010-04-01 voice recordings as well.",
    )
    since = forms.DateField(
        label="Created on or after",
        required=False,
        help_text="Optional: from 00:00 UTC on this day.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = forms.DateField(
        label="Created before",
        required=False,
        help_text="Optional: up to 00:00 UTC on this day (the day itself is not included).",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean_source_account_sid(self) -> str:
        sid = self.cleaned_data["source_account_sid"]
        if not is_sid(sid, "AC"):
            raise forms.ValidationError(
                "Enter an account SID: AC followed by 32 hex digits.", code="invalid"
            )
        return sid

    def clean_api_base_url(self) -> str:
        """Return the base URL without its trailing slash, or "" for Twilio's."""
        value = self.cleaned_data["api_base_url"].strip()
        if not value:
            return ""
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018  (raises ValueError for a port that is not a number)
        except ValueError:
            parts = None
        if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise forms.ValidationError(
                "Enter an http:// or https:// address, such as https://api.twilio.com.",
                code="scheme",
            )
        if parts.username is not None or parts.password is not None:
            # It would be kept in clear as the job's source: the token goes in its own field.
            raise forms.ValidationError(
                "Leave credentials out of the address: the auth token has its own field.",
                code="credentials",
            )
        if parts.query or parts.fragment or any(c.isspace() for c in value):
            raise forms.ValidationError(
                "Enter the server's base address only, without a query or fragment.",
                code="invalid",
            )
        try:
            outbound.check_url(value)
        except outbound.OutboundRefused as exc:
            raise forms.ValidationError(
                f"Roomvault does not call internal addresses ({exc.reason}): enter the "
                "server's public address.",
                code="refused",
            ) from None
        return value.rstrip("/")

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since >= until:
            self.add_error("until", "Must be a later day than “Created on or after”.")
        return data

    def start_keywords(self) -> dict:
        """Return the keywords of ``import_job_start`` (but account and actor) from a valid form;
        the options are shaped as the ``import_twilio`` command stores them."""
        data = self.cleaned_data
        return {
            "source_account_sid": data["source_account_sid"],
            "auth_token": data["auth_token"],
            "api_base_url": data["api_base_url"] or None,
            "options": {
                "voice": data["voice"],
                "include_deleted": data["include_deleted"],
                "since": _midnight_utc(data["since"]),
                "until": _midnight_utc(data["until"]),
            },
        }


def _midnight_utc(day) -> str | None:
    return datetime.combine(day, time(), tzinfo=UTC).isoformat() if day else None
