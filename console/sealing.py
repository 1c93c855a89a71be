"""Secrets kept retrievable in the database (auth tokens, import tokens, tenants' AWS secrets) are
sealed with a key derived from SECRET_KEY, which never lives in the database: a copy of the
database alone reveals none of them.
"""

import base64
import hashlib

from cryptography.fernet import Fernet
from django.conf import settings


def _fernet(purpose: str) -> Fernet:
    key = hashlib.sha256(f"roomvault.{purpose}:{settings.SECRET_KEY}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def seal(value: str, *, purpose: str) -> str:
    """Return value encrypted and authenticated for one purpose (it opens for no other)."""
    return _fernet(purpose).encrypt(value.encode()).decode()


def unseal(sealed: str, *, purpose: str) -> str:
    """Return the value sealed for this purpose; cryptography.fernet.InvalidToken if it was not."""
    return _fernet(purpose).decrypt(sealed.encode()).decode()
