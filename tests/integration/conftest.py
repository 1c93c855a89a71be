"""The integration run: PostgreSQL, a real Celery worker process consuming from Redis (or RabbitMQ),
and the media folder shared between the test process and the worker.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

REPO = Path(__file__).resolve().parents[2]


def pytest_collection_modifyitems(config, items):
    """Skip integration tests, with the reason, where the services they need are not configured."""
    missing = []
    if not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        missing.append("DATABASE_URL=postgres://…")
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        missing.append("CELERY_BROKER_URL=redis://…")
    if missing:
        skip = pytest.mark.skip(reason="integration run needs " + " and ".join(missing))
        for item in items:
            if "integration" in item.keywords:
                item.add_marker(skip)


@pytest.fixture(scope="session")
def shared_media_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("shared-media")


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker, shared_media_root):
    """Run a real Celery worker process against the test database until the session ends."""
    env = worker_env(
        shared_media_root,
        # Status callbacks: short timeout and backoff, so that retries happen within a test.
        CALLBACK_TIMEOUT_SECONDS="1",
        CALLBACK_RETRY_BASE_SECONDS="0.2",
        CALLBACK_MAX_ATTEMPTS="6",
    )
    purge_queue(env)
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "console",
            "worker",
            "--pool",
            "solo",
            "-Q",
            "celery,compositions",
            "--loglevel",
            "INFO",
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
        ],
        cwd=REPO,
        env=env,
    )
    wait_until_answering(worker, env)
    yield worker
    worker.terminate()
    worker.wait(timeout=30)


def worker_env(shared_media_root, **settings: str) -> dict[str, str]:
    """Return the environment of a worker process on the test database and shared media, with
    these settings on top."""
    db = connection.settings_dict
    return {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "MEDIA_ROOT": str(shared_media_root),
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CONN_MAX_AGE": "0",
        # The tests' callback receivers and import sources listen on loopback.
        "OUTBOUND_ALLOWED_NETWORKS": "127.0.0.0/8",
        **settings,
    }


def purge_queue(env: dict, queue: str | None = None) -> None:
    """Drop what an earlier, interrupted run left queued, so it cannot reach this worker."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "console",
            "purge",
            "-f",
            *(("-Q", queue) if queue else ()),
        ],
        cwd=REPO,
        env=env,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def integration_settings(settings, shared_media_root):
    """Queue tasks to the real broker and keep media where the worker can see it."""
    from console.celery import app
    from recordings.media.store import get_media_store

    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.task_always_eager = False
    settings.MEDIA_ROOT = shared_media_root
    get_media_store.cache_clear()
    yield settings
    app.conf.task_always_eager = True
    get_media_store.cache_clear()


@pytest.fixture
def callback_server():
    """A real HTTP server on 127.0.0.1 (ephemeral port) recording the callbacks it receives."""
    from tests.lifecycle.test_callbacks import CallbackServer

    server = CallbackServer()
    yield server
    server.close()


# A worker whose tasks, and those its tasks queue, stay on one queue: argv is the queue, the
# worker's name, its broker transport options (JSON, empty for the settings' own), then the pool
# options.
_QUEUE_WORKER_MAIN = """
import json
import sys
from console.celery import app

queue, name, transport, pool = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), sys.argv[4:]
app.conf.task_default_queue = queue
if transport:
    app.conf.broker_transport_options = transport
app.worker_main(["worker", *pool, "--loglevel", "INFO", "-Q", queue, "-n", name,
                 "--without-heartbeat", "--without-mingle", "--without-gossip"])
"""


def start_queue_worker(
    env: dict, *, queue: str, name: str, pool=("--pool", "solo"), transport=None, **popen
) -> subprocess.Popen:
    """Start a worker of ``queue`` alone (its tasks queue theirs there too) and wait for it."""
    process = subprocess.Popen(
        [sys.executable, "-c", _QUEUE_WORKER_MAIN, queue, name, json.dumps(transport), *pool],
        cwd=REPO,
        env=env,
        **popen,
    )
    wait_until_answering(process, env, name)
    return process


def wait_until_answering(process: subprocess.Popen, env: dict, name: str | None = None) -> None:
    """Return once the worker started as ``process`` (``name``, if given) answers a ping."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ping = subprocess.run(
            [
                *(sys.executable, "-m", "celery", "-A", "console", "inspect", "ping"),
                *("--timeout", "1", *(("-d", name) if name else ())),
            ],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
        )
        if ping.returncode == 0 and "pong" in ping.stdout:
            return
        if process.poll() is not None:
            raise RuntimeError(f"the worker {name} exited while starting")
        time.sleep(0.3)
    raise RuntimeError(f"the worker {name} did not come up within 60 s")


# A worker of a test's own, on a queue of its own (the session worker never takes its tasks), that
# the test can kill with SIGKILL and start again. Redis gives an unacknowledged message back only
# after the visibility timeout: a short one here, so a killed worker's task is redelivered quickly.
FAULTS_QUEUE = "faults"
FAULTS_WORKER = "faults@roomvault-test"
FAULTS_TRANSPORT = {
    "visibility_timeout": 6,
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}


class KillableWorker:
    """A Celery worker process that can be killed (SIGKILL) and started again."""

    def __init__(self, env: dict):
        self.env = env
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = start_queue_worker(
            self.env, queue=FAULTS_QUEUE, name=FAULTS_WORKER, transport=FAULTS_TRANSPORT
        )

    def kill(self) -> None:
        """SIGKILL the worker: no warm shutdown, its unacknowledged task stays with the broker."""
        self.process.kill()
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@pytest.fixture
def killable_worker(django_db_setup, shared_media_root, integration_settings):
    """A started worker of the test's own; tasks this test queues go to its queue."""
    from console.celery import app

    # A bulk deletion task must end well inside this queue's 6 s visibility timeout.
    env = worker_env(shared_media_root, BULK_DELETE_TASK_SECONDS="1")
    purge_queue(env, FAULTS_QUEUE)
    previous_queue = app.conf.task_default_queue
    app.conf.task_default_queue = FAULTS_QUEUE
    worker = KillableWorker(env)
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()
        app.conf.task_default_queue = previous_queue
