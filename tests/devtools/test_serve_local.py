"""``make run``'s server (``manage.py serve_local``), run as a user runs it: a real web server and
Celery worker on the embedded defaults, stopped by Ctrl-C."""

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from django.conf import settings

from tests.s3 import free_port

STOPPED_WITHIN_SECONDS = 5


def _processes_using(data_dir: Path) -> list[int]:
    """Return the PIDs whose environment names ``data_dir``: every process serve_local started."""
    marker = f"DATA_DIR={data_dir}".encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and entry.name != str(os.getpid()):
            try:
                if marker in (entry / "environ").read_bytes().split(b"\0"):
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def test_serve_local_prints_the_login_last_and_stops_cleanly_on_ctrl_c(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "demo-login.json").write_text(
        '{"email": "demo@roomvault.local", "password": "pw-123", "account_sid": "AC1", '
        '"auth_token": "tok"}'
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE")
    }
    env["DATA_DIR"] = str(data_dir)
    manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, timeout=120)
    port = free_port()
    server = subprocess.Popen(
        [*manage, "serve_local", "--addr", f"127.0.0.1:{port}"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = []
        while not lines or "Ctrl-C stops both" not in lines[-1]:
            line = server.stdout.readline()
            assert line, "serve_local ended before it was ready:\n" + "".join(lines)
            lines.append(line)
        tail = "".join(lines[-6:])
        assert f"console:  http://127.0.0.1:{port}/  (email demo@roomvault.local" in tail
        assert "password pw-123" in tail
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=5) as response:
            assert response.status == 200
        # The worker has started too, and says so in its log, not on the terminal.
        deadline = time.monotonic() + 30
        log = data_dir / "worker.log"
        while not (log.exists() and " ready." in log.read_text()):
            assert time.monotonic() < deadline, "the worker did not start"
            time.sleep(0.2)
        assert len(_processes_using(data_dir)) >= 3  # this command, the server, the worker

        started = time.monotonic()
        server.send_signal(signal.SIGINT)
        rest, _ = server.communicate(timeout=STOPPED_WITHIN_SECONDS + 5)
        assert time.monotonic() - started < STOPPED_WITHIN_SECONDS
    finally:
        if server.poll() is None:
            server.kill()
    assert server.returncode == 0
    assert "Segmentation fault" not in rest and "Traceback" not in rest
    assert "Warm shutdown" not in "".join(lines) + rest  # the worker's own output is in its log
    assert _processes_using(data_dir) == []
