"""Twilio-style SIDs: two uppercase letters and 32 random lowercase hex digits."""

import re
import secrets
from functools import partial

from django.db import models

SID_LENGTH = 34
# \Z, not $: "$" would also accept a SID followed by a newline.
ANY_SID = re.compile(r"\A[a-zA-Z]{2}[0-9a-fA-F]{32}\Z")
# The shape SIDs made here have: what a SID from outside must have to be stored as one.
EXACT_SID = re.compile(r"\A[A-Z]{2}[0-9a-f]{32}\Z")


def new_sid(prefix: str) -> str:
    """Return a fresh random SID with the given two-letter prefix."""
    return prefix + secrets.token_hex(16)


def is_sid(value: str, prefix: str | None = None) -> bool:
    """Tell whether value is shaped like a SID (with that prefix, if given)."""
    return bool(ANY_SID.match(value)) and (prefix is None or value[:2] == prefix)


def is_exact_sid(value: object, prefix: str) -> bool:
    """Tell whether value is a SID exactly as this prefix's SIDs are made (uppercase prefix,
    lowercase hex), never merely shaped like one."""
    return isinstance(value, str) and bool(EXACT_SID.match(value)) and value[:2] == prefix


def sid_primary_key(prefix: str) -> models.CharField:
    """Return a SID primary key field that fills itself with a new random SID."""
    return models.CharField(
        primary_key=True, max_length=SID_LENGTH, default=partial(new_sid, prefix), editable=False
    )
