"""Serve the console and API with a Celery worker (and beat) beside it: what ``make run`` runs.

Each child runs in a session of its own, so that Ctrl-C reaches only this command, which then
stops them once: a worker signalled twice does a cold shutdown, and a shell that traps its own
``kill 0`` signals itself again (what used to print a flood of "Warm shutdown" and hang).
Whatever has not exited after ``STOP_SECONDS`` is killed with its whole process group.
"""

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

from django.conf import settings
from django.core.management.base import BaseCommand

from recordings.devtools.demo import credentials_file, login_text

STOP_SECONDS = 3.0
READY_SECONDS = 60.0


class Command(BaseCommand):
    help = "Run the web server and a Celery worker until Ctrl-C; print the console's URL last."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000", help="host:port to serve on")

    def handle(self, *args, addr: str, **options):
        worker_log = settings.DATA_DIR / "worker.log"
        stopping: list[int] = []
        # Set before the children exist: a Ctrl-C while they start still stops them.
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda signum, frame: stopping.append(signum))
        children = [
            _spawn(
                sys.executable, "-m", "celery", "-A", "console", "--quiet", "worker", "--beat",
                "-Q", "celery,compositions", "--concurrency", "2",
                "--loglevel", "INFO", "--logfile", str(worker_log),
                # What it prints before its logging starts (warnings, then its shutdown) goes to
                # its log too: the terminal keeps the server's requests and the login.
                output=worker_log.open("a"),
            ),
            _spawn(sys.executable, str(settings.BASE_DIR / "manage.py"), "runserver", addr,
                   "--noreload"),
        ]  # fmt: skip
        url = f"http://{addr}/"
        try:
            if _wait_until_served(url, children, stopping):
                login = credentials_file()
                text = f"Roomvault: {url}\n"
                if login.exists():
                    text = login_text(json.loads(login.read_text()), url)
                self.stdout.write(f"\n{text}  worker log: {worker_log}\n  Ctrl-C stops both.\n")
            while not stopping and all(child.poll() is None for child in children):
                time.sleep(0.2)
        finally:
            _stop(children)
        failed = [child.returncode for child in children if child.returncode not in (0, None)]
        if failed and not stopping:
            sys.exit(failed[0])


def _spawn(*argv: str, output=None) -> subprocess.Popen:
    return subprocess.Popen(
        argv, start_new_session=True, stdout=output, stderr=subprocess.STDOUT if output else None
    )


def _wait_until_served(url: str, children, stopping) -> bool:
    """Wait until the server answers (True), or a child dies or a signal comes (False)."""
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline and not stopping:
        if any(child.poll() is not None for child in children):
            return False
        try:
            with urllib.request.urlopen(url + "login/", timeout=1):
                return True
        except urllib.error.HTTPError:
            return True
        except OSError:
            time.sleep(0.2)
    return False


def _stop(children: list[subprocess.Popen]) -> None:
    """TERM every child once (the worker then stops its own pool), wait up to STOP_SECONDS for
    all, then KILL whatever is left of their process groups."""
    for child in children:
        if child.poll() is None:
            child.terminate()
    deadline = time.monotonic() + STOP_SECONDS
    for child in children:
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=max(0.0, deadline - time.monotonic()))
        # The worker's pool processes may outlive it: its group goes in any case.
        _signal_group(child, signal.SIGKILL)
        child.wait()


def _signal_group(child: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(child.pid, signum)
