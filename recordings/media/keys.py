"""Media-store keys: built from validated SIDs only, and checked by every store before any use;
and the errors every store raises.

A key is ``AC…/`` (the account's own prefix, an exact account SID) followed by plain names:
letters, digits, ``.``, ``_`` and ``-``, never starting with a dot. So no key can climb out of its
account (``..``), be a path of the machine (absolute, backslashes) or cut a path short (NUL),
whatever a SID from an import source said.
"""

import re

from console.sids import is_exact_sid

# A name of one level: starting with a letter or digit, so never "." or "..".
_NAME = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9._-]{0,127}\Z")
# S3's own limit on a key.
MAX_KEY_LENGTH = 1024


class UnsafeMediaKey(ValueError):
    """A media key is not a plain key under its account's own prefix."""

    def __init__(self, key: str):
        super().__init__(f"media key refused (not a plain key under its account): {key[:120]!r}")


class MediaKeyTaken(FileExistsError):
    """Something is already stored under this key: a save never replaces it."""


def media_key(account_sid: str, *names: str) -> str:
    """Return the key of ``names`` (one per level) under the account's prefix; raise
    UnsafeMediaKey unless each is a plain name and the account an exact AC SID."""
    return check_key("/".join((account_sid, *names)), account_sid=account_sid)


def check_key(key: str, *, account_sid: str | None = None, root: str = "") -> str:
    """Return ``key`` if it is ``root`` + an account's prefix + plain names (that account's
    prefix, when given); raise UnsafeMediaKey otherwise.

    ``root`` is where a store keeps accounts' keys (an account bucket's path), itself checked.
    """
    if not isinstance(key, str) or len(key) > MAX_KEY_LENGTH or not key.startswith(root):
        raise UnsafeMediaKey(str(key))
    if root and not all(_NAME.match(name) for name in root.removesuffix("/").split("/")):
        raise UnsafeMediaKey(key)
    account, *names = key.removeprefix(root).split("/")
    if (
        not names
        or not is_exact_sid(account, "AC")
        or (account_sid is not None and account != account_sid)
        or not all(_NAME.match(name) for name in names)
    ):
        raise UnsafeMediaKey(key)
    return key


class MediaStoreUnavailable(Exception):
    """The media store did not answer (connection refused, timed out): try again later."""
