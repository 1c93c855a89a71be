"""deploy/nginx.conf made runnable by a test: Debian's nginx, the production file with only its
machine-specific values replaced (each must be found, so the tests follow the file), a
self-signed certificate, every path inside the test's folder."""

import datetime
import ipaddress
import os
import shutil
import subprocess
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

REPO = Path(__file__).resolve().parents[1]
NGINX = shutil.which("nginx") or next(
    (path for path in ("/usr/sbin/nginx",) if Path(path).exists()), None
)


def _self_signed(folder: Path, address: str) -> tuple[Path, Path]:
    """Write a certificate for ``address`` and its key; return their paths."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, address)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(address))]),
            critical=False,
        )
        # Its own issuer: OpenSSL trusts it as the anchor only if it is marked a CA.
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def render_config(
    *,
    folder: Path,
    web_hosts: list[str],
    media_root: Path,
    address: str,
    https_port: int,
    http_port: int,
) -> str:
    """Return deploy/nginx.conf with this machine's paths and ports in place of production's,
    listening on ``address`` only; its certificate (for ``address``) is ``folder/cert.pem``."""
    cert, key = _self_signed(folder, address)
    temp_paths = "".join(
        f"\n    {kind}_temp_path {folder / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    servers = "".join(
        f"\n        server {host} max_fails=3 fail_timeout=10s;" for host in web_hosts
    )
    replacements = {
        # A root master needs a user whose workers can read the test's private folders.
        "user www-data;": "user root;" if os.geteuid() == 0 else "",
        "pid /run/nginx.pid;": f"pid {folder / 'nginx.pid'};",
        "error_log /var/log/nginx/error.log warn;": f"error_log {folder / 'error.log'} warn;",
        "access_log /var/log/nginx/access.log;": f"access_log {folder / 'access.log'};",
        "http {": "http {" + temp_paths,
        "\n        server 10.0.0.11:8000 max_fails=3 fail_timeout=10s;": servers,
        "\n        server 10.0.0.12:8000 max_fails=3 fail_timeout=10s;": "",
        "listen 80;": f"listen {address}:{http_port};",
        "listen [::]:80;": "",
        "listen 443 ssl http2;": f"listen {address}:{https_port} ssl http2;",
        "listen [::]:443 ssl http2;": "",
        "/etc/letsencrypt/live/recordings.example.com/fullchain.pem": str(cert),
        "/etc/letsencrypt/live/recordings.example.com/privkey.pem": str(key),
        "alias /var/lib/roomvault/media/;": f"alias {media_root}/;",
    }
    config = (REPO / "deploy" / "nginx.conf").read_text()
    for production, here in replacements.items():
        assert config.count(production) == 1, f"deploy/nginx.conf no longer has {production!r}"
        config = config.replace(production, here)
    return config


def nginx_command(folder: Path, *, check_with: tuple[str, ...] = (), **render) -> list[str]:
    """Write the rendered config (``render_config``'s arguments) into ``folder``, check it with
    ``nginx -t`` (which binds its addresses: run under ``check_with``, e.g. ``ip netns exec``,
    where they exist), and return the command that runs it in the foreground."""
    config = folder / "nginx.conf"
    config.write_text(render_config(folder=folder, **render))
    command = [str(NGINX), "-p", str(folder), "-e", str(folder / "error.log"), "-c", str(config)]
    test = subprocess.run([*check_with, *command, "-t"], capture_output=True, text=True)
    assert test.returncode == 0, test.stderr
    return [*command, "-g", "daemon off;"]
