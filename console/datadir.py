"""Prepare DATA_DIR for this process: called when Django is set up (ConsoleConfig.ready: web
servers, workers, scripts calling django.setup(), the tests), by manage.py before that (to say a
refused setting in one line) and by the Celery app (some of its commands never set Django up);
never by the settings, so that importing them creates nothing on disk.

The embedded defaults keep everything under DATA_DIR: the SQLite file, static files, the file
cache, kombu's filesystem broker folders and, for a single host with no ``SECRET_KEY`` set, the
key generated once into ``DATA_DIR/secret_key``. A server database without ``SECRET_KEY`` was
already refused by the settings.
"""

import contextlib
import os
import secrets
import tempfile
from pathlib import Path

from django.conf import settings


def prepare() -> None:
    """Create the folders the settings name and, on a single host, its secret key file."""
    for folder in settings.DATA_FOLDERS:
        Path(folder).mkdir(parents=True, exist_ok=True)
    key_file = settings.SECRET_KEY_FILE
    if key_file is not None:
        if not key_file.exists():
            _write_once(key_file, secrets.token_urlsafe(50))
        # The settings read the file if it was there; on a fresh machine it exists only now.
        settings.SECRET_KEY = key_file.read_text().strip()


def _write_once(path: Path, text: str) -> None:
    """Write a new file whole or not at all: `make run` starts the web server and the worker
    together, and both must end up with the same key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False) as draft:
        draft.write(text)
    os.chmod(draft.name, 0o600)
    try:
        # A hard link fails if the name exists: the first process to get there wins.
        with contextlib.suppress(FileExistsError):
            os.link(draft.name, path)
    finally:
        os.unlink(draft.name)
