"""deploy/nginx.conf in front of a real Django server: signed local media checked by Django and
sent by nginx (X-Accel-Redirect), Range included, over TLS.

The production file is run as it is, with only its machine-specific values replaced (each must be
found, so the test follows the file). Debian's nginx is needed (.ci/install-nginx).
"""

import datetime
import ipaddress
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from recordings.media.demo import opus_mka
from tests.helpers import basic_auth
from tests.s3 import free_port

REPO = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or next(
    (path for path in ("/usr/sbin/nginx",) if Path(path).exists()), None
)

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(NGINX is None, reason="Debian's nginx is not installed (.ci/install-nginx)"),
]

MEDIA = opus_mka(3.0)


def _self_signed(folder: Path) -> tuple[Path, Path]:
    """Write a certificate for 127.0.0.1 and its key; return their paths."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
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
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
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


def render_config(*, folder: Path, web_hosts: list[str], media_root: Path, port: int) -> str:
    """Return deploy/nginx.conf with this machine's paths and ports in place of production's."""
    cert, key = _self_signed(folder)
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
        "listen 80;": f"listen 127.0.0.1:{free_port()};",
        "listen [::]:80;": "",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{port} ssl http2;",
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


@pytest.fixture
def nginx(live_server, settings, tmp_path):
    """Run nginx (deploy/nginx.conf) on a free port in front of the live server, with a dead web
    host first in the pool (passive health must skip it); yield its https base URL."""
    settings.MEDIA_ACCEL_REDIRECT = "/protected/"
    folder = tmp_path / "nginx"
    folder.mkdir()
    port = free_port()
    config = folder / "nginx.conf"
    config.write_text(
        render_config(
            folder=folder,
            web_hosts=[f"127.0.0.1:{free_port()}", urlsplit(live_server.url).netloc],
            media_root=settings.MEDIA_ROOT,
            port=port,
        )
    )
    command = [NGINX, "-p", str(folder), "-e", str(folder / "error.log"), "-c", str(config)]
    test = subprocess.run([*command, "-t"], capture_output=True, text=True)
    assert test.returncode == 0, test.stderr
    process = subprocess.Popen([*command, "-g", "daemon off;"])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            assert process.poll() is None, (folder / "error.log").read_text()
            time.sleep(0.05)
    try:
        yield f"https://127.0.0.1:{port}", folder / "cert.pem"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.django_db(transaction=True)
def test_nginx_sends_signed_local_media_with_range_and_django_refuses_the_rest(
    nginx, account, make_completed_recording, settings
):
    base, cert = nginx
    recording = make_completed_recording(media=MEDIA)
    size = len(MEDIA)
    session = requests.Session()
    session.verify = str(cert)
    session.trust_env = False  # else REQUESTS_CA_BUNDLE or a proxy from the environment wins

    def signed_path(**params) -> str:
        issued = session.get(
            f"{base}/v1/Recordings/{recording.sid}/Media",
            params=params,
            headers={"Authorization": basic_auth(account.sid, account.auth_token)},
            allow_redirects=False,
        )
        assert issued.status_code == 302, issued.text
        return urlsplit(issued.headers["Location"]).path

    path = signed_path(ContentDisposition='attachment; filename="room.mka"')

    whole = session.get(base + path)
    assert whole.status_code == 200
    assert whole.content == MEDIA
    assert whole.headers["Content-Type"] == "audio/x-matroska"
    assert whole.headers["Content-Disposition"] == 'attachment; filename="room.mka"'
    assert "X-Accel-Redirect" not in whole.headers
    # Sent by nginx from the file (its static module's validators), not streamed by Django.
    assert whole.headers["Last-Modified"] and whole.headers["ETag"]

    part = session.get(base + path, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.headers["Content-Range"] == f"bytes 100-199/{size}"
    assert part.content == MEDIA[100:200]

    suffix = session.get(base + path, headers={"Range": "bytes=-500"})
    assert suffix.status_code == 206
    assert suffix.headers["Content-Range"] == f"bytes {size - 500}-{size - 1}/{size}"
    assert suffix.content == MEDIA[-500:]

    beyond = session.get(base + path, headers={"Range": f"bytes={size}-"})
    assert beyond.status_code == 416
    assert MEDIA[:64] not in beyond.content

    tampered = session.get(base + path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB"))
    assert tampered.status_code == 403
    assert tampered.json()["code"] == 20403

    expiring = signed_path(Ttl=1)
    time.sleep(2.1)  # signed expiry is in whole seconds
    expired = session.get(base + expiring)
    assert expired.status_code == 403
    assert expired.json()["code"] == 20403

    outside = session.get(f"{base}/protected/{recording.media_key}")
    assert outside.status_code == 404
    assert MEDIA[:64] not in outside.content
