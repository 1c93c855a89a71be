"""The console's retention policy form, and the digest that ties a Save to the preview shown.

A policy is saved only as it was previewed: the preview page carries a keyed digest of what it
counted (the account, kind, filter and age), and Save checks it against the values posted. A
change to any of them after the preview (or a forged post) asks for a new preview instead.
"""

from typing import Any
from urllib.parse import parse_qsl, urlencode

from django import forms
from django.utils.crypto import constant_time_compare, salted_hmac

from console.models import Account
from recordings.lifecycle.models import BulkDeletion
from recordings.lifecycle.policies import MAX_AGE_DAYS

_DIGEST_SALT = "roomvault.retention-policy.preview"
# A Logs page's own parameters (its page size and keyset position), not its filter's.
_NOT_A_FILTER = frozenset({"page_size", "token", "pos"})

# How the form names each kind of recording (BulkDeletion.Product's values).
PRODUCT_LABELS = {
    BulkDeletion.Product.VIDEO: "Video recordings",
    BulkDeletion.Product.VOICE: "Voice recordings",
    BulkDeletion.Product.COMPOSITION: "Compositions",
}


def preview_digest(*, account: Account, product: str, query: str, age_days: int) -> str:
    """Return the digest of what a preview counted, for the Save that follows it."""
    return salted_hmac(
        _DIGEST_SALT, "\n".join([account.sid, product, query, str(age_days)])
    ).hexdigest()


class PolicyForm(forms.Form):
    """A policy's name, kind, Logs filter and age; ``digest`` is its preview's."""

    name = forms.CharField(max_length=255, help_text="For example “Stand-ups: audio, 90 days”.")
    product = forms.ChoiceField(label="Deletes", choices=list(PRODUCT_LABELS.items()))
    query = forms.CharField(
        label="Logs filter",
        required=False,
        max_length=4000,
        strip=True,
        help_text="Paste the address of a filtered Logs page, or its query "
        "(room=standup&type=audio). Empty: every recording of this kind.",
    )
    age_days = forms.IntegerField(
        label="Age in days",
        min_value=1,
        max_value=MAX_AGE_DAYS,
        help_text="Recordings are deleted this many days after they were created.",
    )
    enabled = forms.BooleanField(label="Enabled (runs every day)", required=False, initial=True)
    digest = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, product_fixed: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if product_fixed:
            # A policy's kind never changes (policy_update keeps it): shown, not posted.
            self.fields["product"].disabled = True

    def clean_query(self) -> str:
        # A pasted Logs address keeps only its query; the Logs form posts every field, so the
        # empty ones and the paging go, leaving the filter as people would write it.
        query = self.cleaned_data["query"]
        if "?" in query:
            query = query.split("?", 1)[1]
        pairs = parse_qsl(query.split("#", 1)[0], keep_blank_values=False)
        return urlencode([(k, v) for k, v in pairs if k not in _NOT_A_FILTER])

    def digest_of(self, account: Account) -> str:
        """Return the preview digest of the valid form's values."""
        data = self.cleaned_data
        return preview_digest(
            account=account,
            product=data["product"],
            query=data["query"],
            age_days=data["age_days"],
        )

    def was_previewed(self, account: Account) -> bool:
        """Tell whether the valid form's values are exactly those its preview counted."""
        return constant_time_compare(self.cleaned_data["digest"], self.digest_of(account))
