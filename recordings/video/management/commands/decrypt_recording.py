"""Decrypt an encrypted recording (RVENC1, see recordings.media.encryption) with a private key.

    manage.py decrypt_recording --key private.pem --in RT….mka.enc --out RT….mka

The output appears only when the whole file decrypted and verified.
"""

import os
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from recordings.media.encryption import DecryptionError, decrypt_stream, load_private_key


class Command(BaseCommand):
    help = "Decrypt an encrypted recording file with the account's RSA private key (PEM)."

    def add_arguments(self, parser):
        parser.add_argument("--key", required=True, help="RSA private key, PEM")
        parser.add_argument("--in", dest="source", required=True, help="encrypted file")
        parser.add_argument("--out", dest="target", required=True, help="decrypted file to write")
        parser.add_argument(
            "--password-env",
            help="name of an environment variable holding the private key's password",
        )

    def handle(self, *args, key, source, target, password_env=None, **options):
        password = os.environ.get(password_env, "").encode() if password_env else None
        target = Path(target)
        try:
            private_key = load_private_key(Path(key).read_bytes(), password or None)
            fd, tmp = tempfile.mkstemp(dir=target.parent or ".", prefix=".decrypt-")
            try:
                with open(source, "rb") as src, os.fdopen(fd, "wb") as out:
                    size = decrypt_stream(src, out, private_key)
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except (DecryptionError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Decrypted {size} bytes into {target}")
