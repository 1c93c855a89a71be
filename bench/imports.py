"""Import throughput: ``import_twilio`` from a second Roomvault (gunicorn on loopback, its own
SQLite and media), beside the floor measured in the same run, a sequential ``requests`` download
of the same media files with nothing else done.

    .venv/bin/python -m bench.imports [--rooms N] [--participants P] [--seconds S]

Each room is audio-only, recorded on connect: ``rooms x participants`` recordings of ``seconds``
of OPUS each. The import runs at concurrency 1, 4 and 8 into a fresh target each time; every run
must import every recording (else the bench exits non-zero) and its media must hash the same.
"""

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from bench.data import REPO
from bench.servers import free_port, stop

PYTHON = sys.executable


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "MEDIA_ROOT")
    }
    return {
        **env,
        "DATA_DIR": str(data_dir),
        "CELERY_TASK_ALWAYS_EAGER": "true",
        "DJANGO_SETTINGS_MODULE": "console.settings",
        **extra,
    }


def _manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=REPO, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        sys.exit(f"manage.py {args[0]} failed:\n{done.stderr[-2000:]}")
    return done.stdout


def _source(folder: Path, rooms: int, participants: int, seconds: int):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = _env(folder, PUBLIC_BASE_URL=base)
    _manage(env, "migrate", "-v0")
    account = json.loads(_manage(env, "create_account", "--name", "bench-source", "--json"))
    for _ in range(rooms):
        _manage(
            env,
            "simulate_room",
            "--account",
            account["account_sid"],
            "--participants",
            str(participants),
            "--seconds",
            str(seconds),
            "--audio-only",
            "--json",
        )
    server = subprocess.Popen(
        [PYTHON, "-m", "gunicorn", "console.wsgi", "-b", f"127.0.0.1:{port}", "-w", "2"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.get(base + "/login/", timeout=5)
            break
        # Not up yet, or still loading the app (a cold first request on a busy machine).
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.2)
    return server, base, account


def _floor(base: str, account: dict) -> tuple[float, int, dict[str, str]]:
    """Download every media file once, sequentially, through /Media: seconds, bytes, hashes."""
    auth = (account["account_sid"], account["auth_token"])
    session = requests.Session()
    session.auth = auth
    sids, url = [], f"{base}/v1/Recordings?PageSize=1000"
    while url:
        page = session.get(url, timeout=30).json()
        sids += [r["sid"] for r in page["recordings"] if r["status"] == "completed"]
        url = page["meta"]["next_page_url"]
    started, size, hashes = time.perf_counter(), 0, {}
    for sid in sids:
        body = session.get(f"{base}/v1/Recordings/{sid}/Media", timeout=30).content
        size += len(body)
        hashes[sid] = hashlib.sha256(body).hexdigest()
    return time.perf_counter() - started, size, hashes


def _import(
    base: str, account: dict, concurrency: int, hashes: dict[str, str], *window: str
) -> float:
    with tempfile.TemporaryDirectory(prefix="bench-import-") as folder:
        env = _env(Path(folder))
        _manage(env, "migrate", "-v0")
        started = time.perf_counter()
        out = _manage(
            env,
            "import_twilio",
            "--account-sid",
            account["account_sid"],
            "--auth-token",
            account["auth_token"],
            "--api-base-url",
            base,
            "--concurrency",
            str(concurrency),
            "--json",
            *window,
        )
        elapsed = time.perf_counter() - started
        summary = json.loads(out)
        if window:  # the empty window: the command's own start-up and one list request
            return elapsed
        if summary["imported"] != len(hashes) or summary["failed"]:
            sys.exit(f"concurrency {concurrency}: {summary}")
        for path in Path(folder, "media").rglob("RT*.mka"):
            if hashlib.sha256(path.read_bytes()).hexdigest() != hashes[path.stem]:
                sys.exit(f"concurrency {concurrency}: {path.stem} differs from the source")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rooms", type=int, default=10)
    parser.add_argument("--participants", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-source-") as folder:
        server, base, account = _source(Path(folder), args.rooms, args.participants, args.seconds)
        try:
            floor, size, hashes = _floor(base, account)
            rows = [("sequential download (floor)", floor)]
            startup = _import(base, account, 1, hashes, "--since", "2999-01-01")
            rows.append(("import_twilio start-up (nothing to import)", startup))
            rows += [
                (f"import_twilio --concurrency {n}", _import(base, account, n, hashes))
                for n in (1, 4, 8)
            ]
        finally:
            stop(server)
    count = len(hashes)
    print(f"{count} recordings, {size / 1e6:.1f} MB of media, source on loopback\n")
    print("| run | seconds | recordings/s | time vs floor |")
    print("| --- | ---: | ---: | ---: |")
    for name, seconds in rows:
        print(f"| {name} | {seconds:.2f} | {count / seconds:.0f} | {seconds / floor:.2f} |")


if __name__ == "__main__":
    main()
