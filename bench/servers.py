"""The processes under test, started and stopped by the harness: gunicorn, a Celery worker, and
the sendfile server that is the media download floor.

gunicorn runs with the web hosts' settings (deploy/gunicorn.conf.py) and 2 sync workers for the
whole run: the throughput case needs them (2 cores), and a single client never has more than one
request in flight, so the latency cases measure the same thing on 1 or 2 workers while sparing a
restart between groups.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.client import Server, fetch
from bench.data import REPO
from bench.errors import BenchError

GUNICORN_WORKERS = 2


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop(process: subprocess.Popen | None, *, timeout: float = 20) -> None:
    """Stop a process the harness started: SIGTERM, then SIGKILL if it lingers."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def _wait_http(server: Server, path: str, process: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"{what} exited with {process.returncode} while starting")
        try:
            if fetch(server, path).status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise BenchError(f"{what} did not answer within 60 s")


def gunicorn_start(env: dict[str, str], log: Path) -> tuple[subprocess.Popen, Server]:
    """Serve the app (bench settings) on a free loopback port; return it once it answers."""
    server = Server("127.0.0.1", free_port())
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "gunicorn", "console.wsgi:application"),
            # The web hosts' own settings (preload, gc.freeze, recycling, access log); the
            # command line overrides the worker count and class the targets name.
            *("--config", str(REPO / "deploy" / "gunicorn.conf.py")),
            *("--bind", f"{server.host}:{server.port}"),
            *("--workers", str(GUNICORN_WORKERS), "--worker-class", "sync"),
            # A 1 GB download must not be cut by the worker timeout on a slow machine.
            *("--timeout", "120", "--error-logfile", str(log)),
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _wait_http(server, "/bench/trivial", process, "gunicorn")
    return process, server


def children(pid: int) -> list[int]:
    """Return the PIDs whose parent is ``pid`` (gunicorn's workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces: split after it.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def rss_kib(pid: int) -> int:
    """Return a process's resident set size (VmRSS) in KiB, 0 if it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def celery_env(env: dict[str, str]) -> dict[str, str]:
    return {**env, "CELERY_TASK_ALWAYS_EAGER": "false"}


# The workers' niceness in deploy/roomvault-worker@.service (Nice=10).
WORKER_NICE = 10


def celery_worker_start(env: dict[str, str], log: Path) -> subprocess.Popen:
    """Start a worker on the bench broker (its queue emptied first); return it once it answers.

    Two prefork processes, as ``make run`` starts it: a bulk job's chunks and the media
    deletions each chunk queues then run side by side, as they would in production.
    """
    env = celery_env(env)
    celery = [sys.executable, "-m", "celery", "-A", "console"]
    subprocess.run([*celery, "purge", "-f"], cwd=REPO, env=env, check=True, capture_output=True)
    with log.open("ab") as out:
        process = subprocess.Popen(
            [
                # As deploy/roomvault-worker@.service runs it: requests come first.
                *("nice", "-n", str(WORKER_NICE), *celery),
                *("worker", "--concurrency", "2", "--loglevel", "WARNING"),
                *("--without-heartbeat", "--without-mingle", "--without-gossip"),
            ],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=out,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ping = subprocess.run(
            [*celery, "inspect", "ping", "--timeout", "1"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
        )
        if ping.returncode == 0 and "pong" in ping.stdout:
            return process
        if process.poll() is not None:
            raise BenchError(f"the Celery worker exited with {process.returncode} (see {log})")
        time.sleep(0.3)
    stop(process)
    raise BenchError("the Celery worker did not answer within 60 s")


@contextmanager
def celery_worker(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    """Run a worker (``celery_worker_start``) for the block; it reads its settings from ``env``."""
    process = celery_worker_start(env, log)
    try:
        yield process
    finally:
        stop(process, timeout=60)


def sendfile_server_start(path: Path) -> tuple[subprocess.Popen, Server]:
    """Serve one file with socket.sendfile (the download floor); return it once it answers."""
    server = Server("127.0.0.1", free_port())
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.sendfile_server", str(server.port), str(path)],
        cwd=REPO,
        env={**os.environ},
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((server.host, server.port), timeout=1):
                return process, server
        except OSError:
            if process.poll() is not None:
                raise BenchError("the sendfile server exited while starting") from None
            time.sleep(0.05)
    stop(process)
    raise BenchError("the sendfile server did not listen within 20 s")


class BackgroundLoad:
    """One client requesting ``path`` in a loop in its own process (``bench.load``) while a block
    runs; ``stats`` holds its latencies once the block is over."""

    def __init__(self, server: Server, path: str, authorization: str, out: Path):
        self.args = [server.host, str(server.port), path, authorization, str(out)]
        self.out = out
        self.process: subprocess.Popen | None = None
        self.stats = None

    def __enter__(self) -> "BackgroundLoad":
        ready = Path(f"{self.out}.ready")
        self.out.unlink(missing_ok=True)
        ready.unlink(missing_ok=True)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.load", *self.args], cwd=REPO, env={**os.environ}
        )
        # Until it is ready, a SIGTERM would kill it before it writes OUT (seen in CI when the
        # work measured beside it took less time than its start).
        deadline = time.monotonic() + 30
        while not ready.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise BenchError("the background client did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc) -> None:
        stop(self.process)
        if exc[0] is not None:
            return
        from bench.client import Stats

        result = json.loads(self.out.read_text())
        if result["failures"]:
            raise BenchError(f"{result['failures']} answers were not 200 under background load")
        if not result["samples"]:
            raise BenchError("the background client made no request")
        self.stats = Stats(result["samples"])
