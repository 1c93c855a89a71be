"""Hosts made of Linux network namespaces on one bridge (``ip netns``, veth pairs), and a TCP
forwarder that lets them reach services listening on the machine's loopback.

Names carry the test process's id (``rvmh<pid>``), so a run never touches another's, and a run
finds what an earlier, killed run left behind by that prefix and a pid no longer alive.
"""

import contextlib
import ipaddress
import os
import re
import signal
import socket
import subprocess
import threading
from dataclasses import dataclass, field

PREFIX = "rvmh"
_LINK = re.compile(rf"^\d+: ({PREFIX}(\d+)\w*)[@:]", re.MULTILINE)


def ip(*args: str) -> str:
    """Run ``ip`` and return what it printed; a failure raises with its message."""
    return subprocess.run(["ip", *args], check=True, capture_output=True, text=True).stdout


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _kill_namespace_processes(netns: str) -> None:
    for pid in ip("netns", "pids", netns).split():
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(pid), signal.SIGKILL)


def clean_leftovers() -> None:
    """Remove the namespaces, their processes and the bridges of runs whose process is gone."""
    for line in ip("netns", "list").splitlines():
        name = line.split()[0]
        owner = re.match(rf"{PREFIX}(\d+)-", name)
        if owner and not _alive(int(owner.group(1))):
            _kill_namespace_processes(name)
            ip("netns", "delete", name)
    for link, pid in _LINK.findall(ip("-o", "link", "show")):
        if not _alive(int(pid)):
            with contextlib.suppress(subprocess.CalledProcessError):  # gone with its namespace
                ip("link", "delete", link)


@dataclass
class Network:
    """A bridge in the root namespace (``.1`` of a /24 of 10/8) and one namespace per host, each
    with a veth on the bridge and the address ``.11``, ``.12``… in the order given."""

    hosts: list[str]
    tag: str = field(default_factory=lambda: f"{PREFIX}{os.getpid()}")
    addresses: dict[str, str] = field(default_factory=dict)

    @property
    def subnet(self) -> ipaddress.IPv4Network:
        # One /24 per test process, away from 10.0.x where networks of containers tend to sit.
        return ipaddress.IPv4Network(f"10.{100 + os.getpid() % 150}.0.0/24")

    @property
    def bridge_address(self) -> str:
        return str(self.subnet.network_address + 1)

    def netns(self, host: str) -> str:
        return f"{self.tag}-{host}"

    def up(self) -> None:
        """Make the bridge and the hosts; ``down`` undoes whatever part of it was made."""
        bridge, prefix = f"{self.tag}b", self.subnet.prefixlen
        ip("link", "add", bridge, "type", "bridge")
        ip("addr", "add", f"{self.bridge_address}/{prefix}", "dev", bridge)
        ip("link", "set", bridge, "up")
        for index, host in enumerate(self.hosts):
            netns, veth = self.netns(host), f"{self.tag}h{index}"
            address = str(self.subnet.network_address + 11 + index)
            ip("netns", "add", netns)
            ip("link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", netns)
            ip("link", "set", veth, "master", bridge, "up")
            ip("-n", netns, "addr", "add", f"{address}/{prefix}", "dev", "eth0")
            ip("-n", netns, "link", "set", "eth0", "up")
            ip("-n", netns, "link", "set", "lo", "up")
            self.addresses[host] = address

    def down(self) -> None:
        """Kill every process left in the hosts, delete them and the bridge (their veths go with
        them)."""
        existing = {line.split()[0] for line in ip("netns", "list").splitlines()}
        for host in self.hosts:
            if self.netns(host) in existing:
                _kill_namespace_processes(self.netns(host))
                ip("netns", "delete", self.netns(host))
        with contextlib.suppress(subprocess.CalledProcessError):
            ip("link", "delete", f"{self.tag}b")


class TcpForwarder:
    """Accept connections on ``(host, ephemeral port)`` and pipe each to ``127.0.0.1:target``.

    The hosts reach Redis and RabbitMQ through it: both listen on loopback, and RabbitMQ lets its
    ``guest`` user in from loopback only. When either side closes, both are closed, as a broker
    sees a client that died (RabbitMQ then re-queues what that client had not acknowledged).
    """

    def __init__(self, host: str, target: int):
        self.target = target
        self.server = socket.create_server((host, 0))
        self.port = self.server.getsockname()[1]
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:  # closed
                return
            upstream = socket.create_connection(("127.0.0.1", self.target))
            self.sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.server.close()
        for sock in self.sockets:
            sock.close()
