"""deploy/nginx.conf in front of a real Django server: signed local media checked by Django and
sent by nginx (X-Accel-Redirect), Range included, over TLS.

The production file is run as it is, with only its machine-specific values replaced (each must be
found, so the test follows the file). Debian's nginx is needed (.ci/install-nginx).
"""

import socket
import subprocess
import time
from urllib.parse import urlsplit

import pytest
import requests

from recordings.media.demo import opus_mka
from tests.helpers import basic_auth
from tests.nginx import NGINX, nginx_command
from tests.s3 import free_port

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(NGINX is None, reason="Debian's nginx is not installed (.ci/install-nginx)"),
]

MEDIA = opus_mka(3.0)


@pytest.fixture
def nginx(live_server, settings, tmp_path):
    """Run nginx (deploy/nginx.conf) on a free port in front of the live server, with a dead web
    host first in the pool (passive health must skip it); yield its https base URL."""
    settings.MEDIA_ACCEL_REDIRECT = "/protected/"
    folder = tmp_path / "nginx"
    folder.mkdir()
    port = free_port()
    command = nginx_command(
        folder,
        web_hosts=[f"127.0.0.1:{free_port()}", urlsplit(live_server.url).netloc],
        media_root=settings.MEDIA_ROOT,
        address="127.0.0.1",
        https_port=port,
        http_port=free_port(),
    )
    process = subprocess.Popen(command)
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
