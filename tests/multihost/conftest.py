"""The multi-host test runs only as root, with ``ip``, Debian's nginx and the machine's PostgreSQL
(its unix socket too), Redis and RabbitMQ answering; elsewhere it is skipped, saying what is
missing."""

import json
import os
import shutil
import socket
from pathlib import Path

import pytest

from tests.multihost.cluster import AMQP_PORT, PG_SOCKET_DIR, REDIS_PORT
from tests.nginx import NGINX

REPO = Path(__file__).resolve().parents[2]


def _answers(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


def _missing() -> list[str]:
    missing = []
    if os.geteuid() != 0:
        missing.append("root (network namespaces)")
    if shutil.which("ip") is None:
        missing.append("iproute2's ip")
    if NGINX is None:
        missing.append("Debian's nginx (.ci/install-nginx)")
    if not (_answers(5432) and Path(PG_SOCKET_DIR, ".s.PGSQL.5432").exists()):
        missing.append(f"PostgreSQL on 127.0.0.1:5432 and {PG_SOCKET_DIR}")
    if not _answers(REDIS_PORT):
        missing.append(f"Redis on 127.0.0.1:{REDIS_PORT}")
    if not _answers(AMQP_PORT):
        missing.append(f"RabbitMQ on 127.0.0.1:{AMQP_PORT}")
    return missing


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    ours = [item for item in items if here in Path(item.path).parents]
    missing = _missing() if ours else []
    if missing:
        skip = pytest.mark.skip(reason="the multi-host test needs " + ", ".join(missing))
        for item in ours:
            item.add_marker(skip)


@pytest.fixture
def figures(request, capsys):
    """Collect the run's measured figures; at the end write var/multihost-<id>.json and print
    them where CI's log shows them (outside pytest's capture)."""
    measured: dict = {}
    yield measured
    name = request.node.callspec.id if hasattr(request.node, "callspec") else request.node.name
    path = REPO / "var" / f"multihost-{name}.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(measured, indent=2) + "\n")
    with capsys.disabled():
        print(f"\nmultihost [{name}]: {json.dumps(measured)}")
