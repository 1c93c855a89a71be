"""Local media behind nginx (MEDIA_ACCEL_REDIRECT): Django checks the signed URL and names the file
in X-Accel-Redirect; nginx sends the bytes. What nginx itself does: tests/integration/
test_nginx_media.py."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import time_machine
from django.core import signing
from django.test import Client

from tests.helpers import assert_twilio_error
from tests.media.test_media import MEDIA, path_of, signed_url

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def accel(settings):
    settings.MEDIA_ACCEL_REDIRECT = "/protected/"
    return settings


@pytest.fixture
def rec(make_completed_recording):
    return make_completed_recording(media=MEDIA)


def _forged(key: str, sid: str) -> str:
    """A token signed with the server's own key (as only a leak of SECRET_KEY would allow) that
    names ``key``: the check of the key itself is the last line of defence."""
    payload = [key, sid, "audio/x-matroska", "inline", int(time.time()) + 600]
    return "/media/" + signing.dumps(payload, salt="roomvault.media.url", compress=True)


# --- the attacker's tests first: nothing outside the media root is ever named or served -------


@pytest.mark.parametrize("accelerated", [True, False], ids=["nginx", "django"])
@pytest.mark.parametrize(
    "evil",
    [
        "../outside.mka",
        "{ac}/../../outside.mka",
        "{ac}/{rm}/../../../outside.mka",
        "/etc/passwd",
        "{root}/../outside.mka",
        "{ac}/%2e%2e/%2e%2e/outside.mka",
        "{ac}/..%2f..%2foutside.mka",
        "{ac}/%252e%252e/outside.mka",
        "{ac}\\..\\..\\outside.mka",
        "{ac}/{rm}/x.mka\x00.txt",
        "{ac}/link/outside.mka",
        "{ac}//../outside.mka",
    ],
)
def test_a_key_leading_out_of_the_media_root_is_never_served(
    rec, settings, tmp_path, evil, accelerated
):
    settings.MEDIA_ACCEL_REDIRECT = "/protected/" if accelerated else ""
    (tmp_path / "outside.mka").write_bytes(b"secret outside the media root")
    os.symlink(tmp_path, settings.MEDIA_ROOT / rec.account_id / "link")
    key = evil.format(ac=rec.account_id, rm=rec.room_id, root=settings.MEDIA_ROOT)

    response = Client().get(_forged(key, rec.sid))

    assert_twilio_error(response, 404, 20404)
    assert "X-Accel-Redirect" not in response
    assert b"secret" not in response.content


def test_the_protected_location_is_not_a_route_of_django(rec, accel):
    response = Client().get(f"/protected/{rec.media_key}")

    assert response.status_code == 404
    assert "X-Accel-Redirect" not in response
    assert MEDIA not in response.content


# --- what nginx is told -------------------------------------------------------------------------


def test_a_signed_url_answers_an_empty_redirect_to_the_protected_file(api, rec, accel):
    url = path_of(signed_url(api, rec, ContentDisposition='attachment; filename="a b.mka"'))

    response = Client().get(url)

    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/protected/{rec.media_key}"
    assert response.content == b""
    assert response["Content-Type"] == "audio/x-matroska"
    assert response["Content-Disposition"] == 'attachment; filename="a b.mka"'
    assert response["Cache-Control"] == "private, max-age=0"


def test_ranges_are_left_to_nginx(api, rec, accel):
    url = path_of(signed_url(api, rec))

    for header in ("bytes=100-199", "bytes=-10", f"bytes={len(MEDIA)}-"):
        response = Client().get(url, HTTP_RANGE=header)
        assert response.status_code == 200
        assert response["X-Accel-Redirect"] == f"/protected/{rec.media_key}"
        assert "Content-Range" not in response


def test_head_is_redirected_too(api, rec, accel):
    response = Client().head(path_of(signed_url(api, rec)))

    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/protected/{rec.media_key}"


def test_the_key_is_url_quoted_under_the_location(rec, accel):
    # Keys are plain names today; a space or a percent sign would reach nginx quoted, which it
    # unquotes before mapping the path onto the folder.
    from recordings.media.signed import MediaGrant
    from recordings.media.views import accel_redirect

    grant = MediaGrant(f"{rec.account_id}/{rec.room_id}/a-b_c.1.mka", rec.sid, "video/webm", "", 0)
    assert accel_redirect(grant)["X-Accel-Redirect"] == (
        f"/protected/{rec.account_id}/{rec.room_id}/a-b_c.1.mka"
    )


def test_an_expired_or_altered_url_is_refused_by_django_without_a_redirect(api, rec, accel):
    url = path_of(signed_url(api, rec, Ttl=60))

    altered = Client().get(url[:-2] + ("AA" if not url.endswith("AA") else "BB"))
    assert_twilio_error(altered, 403, 20403)
    assert "X-Accel-Redirect" not in altered
    with time_machine.travel(time.time() + 61):
        expired = Client().get(url)
    assert_twilio_error(expired, 403, 20403)
    assert "X-Accel-Redirect" not in expired


def test_a_deleted_recording_is_404_without_a_redirect(
    api, rec, accel, django_capture_on_commit_callbacks
):
    url = path_of(signed_url(api, rec))
    with django_capture_on_commit_callbacks(execute=False):
        assert api.delete(f"/v1/Recordings/{rec.sid}").status_code == 204

    response = Client().get(url)  # the file is still stored: its deletion task has not run

    assert_twilio_error(response, 404, 20404)
    assert "X-Accel-Redirect" not in response


# --- the setting --------------------------------------------------------------------------------


# Django's own start-up swallows a settings error until a command reads a setting.
_READ_SETTINGS = "from django.conf import settings; settings.MEDIA_ROOT"


def _start(tmp_path, **variables: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATA_DIR": str(tmp_path), **variables}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", _READ_SETTINGS],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )


@pytest.mark.parametrize("value", ["protected/", "/protected", "protected"])
def test_a_location_not_between_slashes_is_refused_at_start(tmp_path, value):
    result = _start(tmp_path, MEDIA_ACCEL_REDIRECT=value)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"MEDIA_ACCEL_REDIRECT ('{value}') must start and end with '/'" in result.stderr


def test_the_setting_is_refused_with_s3(tmp_path):
    result = _start(
        tmp_path,
        MEDIA_ACCEL_REDIRECT="/protected/",
        MEDIA_STORAGE="s3",
        AWS_STORAGE_BUCKET_NAME="b",
    )

    assert result.returncode != 0
    assert "MEDIA_ACCEL_REDIRECT is for MEDIA_STORAGE=local only" in result.stderr
