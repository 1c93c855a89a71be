"""Twilio-style SIDs: two uppercase letters and 32 random lowercase hex digits."""

import re
import secrets
from functools import partial

from django.db import models

SID_LENGTH = 34
# \Z, not $: "$" would also accept a SID followed by a newline.
ANY_SID = re.compile(r"\A[a-zA-Z]{2}[0-9a-fA-F]{32}\Z")


def new_sid(prefix: str) -> str:
    """Return a fresh random SID with the given two-letter prefix."""
    return prefix + secrets.token_hex(16)


def is_sid(value: str, prefix: str | None = None) -> bool:
    """Tell whether value is shaped like a SID (with that prefix, if given)."""
    return bool(ANY_SID.match(value)) and (prefix is None or value[:2] == prefix)


def sid_primary_key(prefix: str) -> models.CharField:
    """Return a SID primary key field that fills itself with a new random SID."""
    return models.CharField(
        primary_key=True, max_length=SID_LENGTH, default=partial(new_sid, prefix), editable=False
    )
