"""Roomvault on four hosts of one machine: web1 and web2 (gunicorn), work1 and work2 (Celery
workers; beat on work2 only), each in a network namespace with its own DATA_DIR, all running the
commands of deploy/'s units over the machine's PostgreSQL, a broker and an S3 server (moto); and a
fifth, lb, running deploy/nginx.conf (Debian's nginx) in front of web1 and web2 as production does.

PostgreSQL is reached through its unix socket (a file: it crosses namespaces); Redis and RabbitMQ
through forwarders on the bridge; moto listens on the bridge itself.
"""

import contextlib
import json
import logging
import os
import secrets
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import psycopg
import redis
import requests
from botocore.config import Config
from kombu import Connection
from moto.server import ThreadedMotoServer

from tests.multihost.network import Network, TcpForwarder
from tests.multihost.units import REPO, read_unit
from tests.nginx import nginx_command

HOSTS = ("web1", "web2", "work1", "work2", "lb")
WEB_PORT = 8000
NGINX_UNIT = "nginx"
PG_SOCKET_DIR = "/var/run/postgresql"
PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
PG_ADMIN = f"{PG_SERVER}/postgres"
DATABASES = {"redis": "roomvault_mh_redis", "rabbitmq": "roomvault_mh_rabbit"}
REDIS_PORT, REDIS_DB = 6379, 13
AMQP_PORT = 5672
S3_KEYS = {"AWS_ACCESS_KEY_ID": "multihost-access", "AWS_SECRET_ACCESS_KEY": "multihost-secret"}
QUEUES = "celery,compositions"
WORKER = f"roomvault-worker@{QUEUES}.service"


@dataclass
class Host:
    """One namespace: runs unit commands and one-off commands with this host's environment."""

    name: str
    netns: str
    address: str
    root: Path
    env: dict[str, str]
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    def _argv(self, argv: list[str]) -> list[str]:
        return ["ip", "netns", "exec", self.netns, *argv]

    def run(self, *argv: str, extra_env: dict[str, str] | None = None) -> str:
        """Run a command to its end on this host; return its output (a failure raises, showing
        its stderr)."""
        done = subprocess.run(
            self._argv(list(argv)),
            cwd=REPO,
            env={**(extra_env or {}), **self.env},
            capture_output=True,
            text=True,
            timeout=180,
        )
        if done.returncode:
            raise AssertionError(f"{self.name}: {' '.join(argv)} failed:\n{done.stderr[-3000:]}")
        return done.stdout

    def manage(self, *args: str) -> str:
        return self.run(str(REPO / ".venv/bin/python"), "manage.py", *args)

    def start(self, unit: str, instance: str = "") -> subprocess.Popen:
        """Start a unit as systemd would: Environment= under the environment file, ExecStartPre=
        to its end, then ExecStart= in a process group of its own (KillMode's control group)."""
        commands = read_unit(
            unit,
            specifiers={"i": instance, "H": self.name, "t": str(self.root / "run")},
        )
        for name in commands.environment.values():
            if name.startswith(str(self.root / "run")):  # RuntimeDirectory=
                Path(name).mkdir(parents=True, exist_ok=True)
        for argv in commands.before:
            self.run(*argv, extra_env=commands.environment)
        key = unit.replace("@", f"@{instance}")
        return self.spawn(key, commands.start, commands.environment)

    def spawn(self, key: str, argv: list[str], environment: dict[str, str]) -> subprocess.Popen:
        """Run ``argv`` on this host in a process group of its own, its output in ``key``.log."""
        log = (self.root / f"{key}.log").open("ab")
        process = subprocess.Popen(
            self._argv(argv),
            cwd=REPO,
            env={**environment, **self.env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes[key] = process
        return process

    def log(self, key: str) -> str:
        return (self.root / f"{key}.log").read_text(errors="replace")

    def signal_group(self, key: str, sig: signal.Signals) -> None:
        """Send a signal to a unit's whole process group (kill -9 -PGID: the pool too)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.processes[key].pid, sig)

    def stop_all(self) -> None:
        for key in self.processes:
            self.signal_group(key, signal.SIGKILL)
        for process in self.processes.values():
            process.wait(timeout=10)

    def url(self, path: str) -> str:
        return f"http://{self.address}:{WEB_PORT}{path}"


@dataclass
class LoadBalancer:
    """nginx on the lb host: what a user's browser or API client talks to."""

    host: Host
    cert: Path

    def url(self, path: str) -> str:
        return f"https://{self.host.address}{path}"

    def session(self) -> requests.Session:
        """A client of the load balancer, trusting its certificate (and no proxy from the
        environment)."""
        client = requests.Session()
        client.verify = str(self.cert)
        client.trust_env = False
        return client

    def start(self, web_hosts: list[Host]) -> None:
        folder = self.host.root / "nginx"
        folder.mkdir()
        command = nginx_command(
            folder,
            check_with=("ip", "netns", "exec", self.host.netns),
            web_hosts=[f"{web.address}:{WEB_PORT}" for web in web_hosts],
            media_root=self.host.root / "data",  # media is on S3: nothing is sent from here
            address=self.host.address,
            https_port=443,
            http_port=80,
        )
        self.host.spawn(NGINX_UNIT, command, {})


@dataclass
class Cluster:
    broker: str
    network: Network
    database: str
    bucket: str
    s3: object  # the test's own boto3 client, to look into the bucket
    hosts: dict[str, Host]
    lb: LoadBalancer

    def sql(self, query: str, *params: object) -> list[tuple]:
        with psycopg.connect(f"{PG_SERVER}/{self.database}") as conn:
            return conn.execute(query, params).fetchall()

    def bucket_keys(self, prefix: str = "") -> set[str]:
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix)
        return {item["Key"] for page in pages for item in page.get("Contents", [])}

    def wait_ready(self, host: str, seconds: float = 90) -> None:
        """Wait for the host's /readyz to answer 200 (database, broker and store reachable)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with contextlib.suppress(requests.ConnectionError):
                if requests.get(self.hosts[host].url("/readyz"), timeout=5).status_code == 200:
                    return
            time.sleep(0.1)
        log = self.hosts[host].log("roomvault-web.service")
        raise AssertionError(f"{host} not ready in {seconds} s:\n{log[-3000:]}")

    def wait_lb(self, seconds: float = 30) -> None:
        """Wait for /readyz through nginx to answer 200."""
        deadline = time.monotonic() + seconds
        with self.lb.session() as client:
            while time.monotonic() < deadline:
                with contextlib.suppress(requests.ConnectionError):
                    if client.get(self.lb.url("/readyz"), timeout=5).status_code == 200:
                        return
                time.sleep(0.1)
        log = (self.lb.host.root / "nginx" / "error.log").read_text(errors="replace")
        raise AssertionError(f"the load balancer not ready in {seconds} s:\n{log[-3000:]}")

    def wait_worker(self, host: str, seconds: float = 60) -> None:
        """Wait for a worker's 'ready.' line."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if " ready." in self.hosts[host].log(WORKER):
                return
            time.sleep(0.1)
        raise AssertionError(f"{host}'s worker not ready:\n{self.hosts[host].log(WORKER)[-3000:]}")


def _free_port(address: str) -> int:
    with socket.socket() as sock:
        sock.bind((address, 0))
        return sock.getsockname()[1]


def _purge_broker(broker: str) -> None:
    """Drop what an earlier, interrupted run left in this run's broker (our Redis db; RabbitMQ's
    two queues)."""
    if broker == "redis":
        redis.Redis(port=REDIS_PORT, db=REDIS_DB).flushdb()
        return
    with Connection(f"amqp://guest:guest@127.0.0.1:{AMQP_PORT}//") as conn:
        for queue in QUEUES.split(","):
            # A queue not declared yet has nothing to purge (and closes the channel).
            with contextlib.suppress(Exception), conn.channel() as channel:
                channel.queue_purge(queue)


@contextlib.contextmanager
def cluster_of(broker: str, root: Path) -> Iterator[Cluster]:
    """Make the network, the database, the broker's forwarder and the S3 server, migrate, start
    every host's units and wait for them; undo all of it at the end, whatever happened."""
    # moto's server logs every request it serves.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    with contextlib.ExitStack() as undo:
        network = Network(list(HOSTS))
        undo.callback(network.down)
        network.up()
        database = DATABASES[broker]
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
            admin.execute(f"CREATE DATABASE {database}")
        undo.callback(_drop_database, database)
        _purge_broker(broker)
        bridge = network.bridge_address
        forwarder = TcpForwarder(bridge, REDIS_PORT if broker == "redis" else AMQP_PORT)
        undo.callback(forwarder.close)
        broker_url = (
            f"redis://{bridge}:{forwarder.port}/{REDIS_DB}"
            if broker == "redis"
            else f"amqp://guest:guest@{bridge}:{forwarder.port}//"
        )
        moto_port = _free_port(bridge)
        moto = ThreadedMotoServer(ip_address=bridge, port=moto_port, verbose=False)
        moto.start()
        undo.callback(moto.stop)
        endpoint = f"http://{bridge}:{moto_port}"
        s3 = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            config=Config(s3={"addressing_style": "path"}),
            aws_access_key_id=S3_KEYS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=S3_KEYS["AWS_SECRET_ACCESS_KEY"],
        )
        bucket = f"roomvault-{broker}"
        s3.create_bucket(Bucket=bucket)
        shared = {
            "PATH": os.environ["PATH"],
            "LANG": "C.UTF-8",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "DEBUG": "false",
            "DATABASE_URL": f"postgres://postgres@/{database}?host={PG_SOCKET_DIR}",
            "CELERY_BROKER_URL": broker_url,
            "MEDIA_STORAGE": "s3",
            "AWS_S3_ENDPOINT_URL": endpoint,
            "AWS_STORAGE_BUCKET_NAME": bucket,
            "AWS_S3_REGION_NAME": "us-east-1",
            **S3_KEYS,
            "WEB_CONCURRENCY": "2",
            "GUNICORN_THREADS": "4",
            # Jobs silent this long are re-queued by the beat's watchdog, which looks this often;
            # deleted recordings' media still stored after the grace is deleted again by the
            # sweep: healing what a killed worker held takes seconds rather than the defaults'
            # minutes (or Redis's visibility timeout).
            "JOB_STALL_SECONDS": "8",
            "JOB_WATCHDOG_SECONDS": "5",
            "MEDIA_SWEEP_SECONDS": "10",
            "MEDIA_SWEEP_GRACE_SECONDS": "5",
            # Behind nginx as deploy/nginx.conf says: it terminates TLS and appends the client's
            # address; gunicorn takes X-Forwarded-Proto from it alone.
            "BEHIND_TLS_PROXY": "true",
            "TRUSTED_PROXY_COUNT": "1",
            "FORWARDED_ALLOW_IPS": network.addresses["lb"],
        }
        hosts = {}
        for name in HOSTS:
            address = network.addresses[name]
            (root / name / "data").mkdir(parents=True)
            hosts[name] = Host(
                name=name,
                netns=network.netns(name),
                address=address,
                root=root / name,
                env={
                    **shared,
                    "HOME": str(root / name),
                    "DATA_DIR": str(root / name / "data"),
                    # Its own address (reached directly) and the load balancer's (nginx passes
                    # the client's Host on).
                    "ALLOWED_HOSTS": f"{address},{network.addresses['lb']}",
                    "GUNICORN_BIND": f"{address}:{WEB_PORT}",
                },
            )
            undo.callback(hosts[name].stop_all)
        lb = LoadBalancer(hosts["lb"], cert=hosts["lb"].root / "nginx" / "cert.pem")
        cluster = Cluster(broker, network, database, bucket, s3, hosts, lb)
        with ThreadPoolExecutor() as pool:
            # Workers and beat need no schema to start; the web hosts start after migrations.
            for name in ("work1", "work2"):
                pool.submit(hosts[name].start, "roomvault-worker@.service", QUEUES)
            pool.submit(hosts["work2"].start, "roomvault-beat.service")
            hosts["web1"].run(*read_unit("roomvault-migrate.service", specifiers={}).start)
            for name in ("web1", "web2"):
                pool.submit(hosts[name].start, "roomvault-web.service")
            lb.start([hosts["web1"], hosts["web2"]])
        with ThreadPoolExecutor() as pool:
            for future in [
                pool.submit(cluster.wait_ready, "web1"),
                pool.submit(cluster.wait_ready, "web2"),
                pool.submit(cluster.wait_worker, "work1"),
                pool.submit(cluster.wait_worker, "work2"),
                pool.submit(cluster.wait_lb),
            ]:
                future.result()
        yield cluster


def _drop_database(name: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def as_json(output: str) -> dict:
    return json.loads(output.strip().splitlines()[-1])
