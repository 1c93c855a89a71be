"""The outbound guard: Roomvault calls a URL a tenant gave it (a status callback, an import
source and its media links) only at a public address, never inside the network it runs in.

``check_url`` refuses, when a URL is set, what it names literally: loopback, private, link-local
(the cloud metadata address 169.254.169.254), multicast, reserved and unspecified addresses, in
every spelling a resolver takes (``2130706433``, ``0177.0.0.1``, ``0x7f.1``,
``[::ffff:127.0.0.1]``). A name is checked when it is resolved: ``session()`` resolves each
connection's host once, checks every address it gets, and connects to the address it checked (no
second lookup that DNS rebinding could answer differently), keeping the name for the Host header
and for TLS (SNI and certificate). Each redirect hop opens its own connection, so it is checked
the same way. ``OUTBOUND_ALLOWED_NETWORKS`` lets an operator allow private networks of their own.

A small module of our own rather than ``advocate``, the library for this, which has had no release
since 2020 and pins urllib3 1.x.
"""

import ipaddress
import re
import socket
from urllib.parse import urlsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NameResolutionError

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# One part of an IPv4 address as inet_aton reads it: hex, octal, or decimal.
_INET_PART = re.compile(r"^(?:0x[0-9a-f]*|0[0-7]*|[1-9][0-9]*)$", re.IGNORECASE)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# The classes refused, most telling first, as a refusal names them.
_REFUSED_KINDS = {
    "unspecified": "an unspecified address",
    "loopback": "a loopback address",
    "link_local": "a link-local address",
    "multicast": "a multicast address",
    "private": "a private address",
    "reserved": "a reserved address",
}


class OutboundRefused(Exception):
    """A URL may not be called; ``reason`` says why in a few words ("10.0.0.1 is a private
    address")."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def literal_address(host: str) -> Address | None:
    """Return the address a host names without DNS, or None for a name to resolve.

    IPv4 is read as inet_aton (and so getaddrinfo) reads it: one to four parts, each decimal,
    octal (leading 0) or hex (0x), the last filling the bytes that remain. ``localhost`` names
    loopback (RFC 6761).
    """
    host = host.strip("[]").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return ipaddress.IPv4Address("127.0.0.1")
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    parts = host.split(".")
    if not 1 <= len(parts) <= 4 or not all(_INET_PART.match(part) for part in parts):
        return None
    *head, last = (_inet_number(part) for part in parts)
    if any(number > 255 for number in head) or last >= 256 ** (5 - len(parts)):
        return None
    return ipaddress.IPv4Address(sum(n << 8 * (3 - i) for i, n in enumerate(head)) + last)


def _inet_number(part: str) -> int:
    if part[:2] == "0x":
        return int(part[2:] or "0", 16)
    return int(part, 8) if part[:1] == "0" else int(part)


def refusal(address: Address) -> str | None:
    """Say what refused kind of address this is ("a loopback address"), or None if it may be
    called."""
    # An IPv6 address carrying an IPv4 one reaches that one: judge both.
    judged = [address]
    if isinstance(address, ipaddress.IPv6Address):
        teredo = address.teredo  # (server, client): the client is the one reached
        embedded = address.ipv4_mapped or address.sixtofour or (teredo[1] if teredo else None)
        if address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            judged.append(embedded)
    allowed = [
        ipaddress.ip_network(network.strip(), strict=False)
        for network in settings.OUTBOUND_ALLOWED_NETWORKS
    ]
    if any(a.version == net.version and a in net for a in judged for net in allowed):
        return None
    for a in judged:
        for kind, words in _REFUSED_KINDS.items():
            if getattr(a, f"is_{kind}"):
                return words
        if not a.is_global or getattr(a, "is_site_local", False):
            return "not a public address"
    return None


def check_url(url: str) -> None:
    """Refuse a URL that is not http(s) or whose host is a refused address (raise
    OutboundRefused); a host name passes here and is checked at each connection."""
    try:
        parts = urlsplit(url)
        scheme, host = parts.scheme.lower(), parts.hostname
    except ValueError:  # a malformed IPv6 literal
        scheme, host = "", None
    if scheme not in ("http", "https") or not host:
        raise OutboundRefused("not an http:// or https:// URL with a host")
    address = literal_address(host)
    if address is not None and (why := refusal(address)):
        raise OutboundRefused(f"{host} is {why}")


def resolve(host: str, port: int) -> str:
    """Return the address to connect to for ``host``, once checked; raise OutboundRefused if
    it, or any address the name resolves to, is refused."""
    address = literal_address(host)
    if address is None:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    else:
        addresses = [address]
    for candidate in addresses:
        if why := refusal(candidate):
            named = f"{host} is" if address else f"{host} resolves to {candidate},"
            raise OutboundRefused(f"{named} {why}")
    return str(addresses[0])


class _PinnedConnection:
    """Open the socket to the checked address; ``host`` stays the name for Host and TLS."""

    def _new_conn(self):
        name = self._dns_host
        try:
            checked = resolve(name, self.port)
        except socket.gaierror as exc:
            raise NameResolutionError(self.host, self, exc) from exc
        # urllib3 connects to ``_dns_host`` (and only that reads it while connecting); SNI and
        # certificate checks read ``host`` after the socket is open, when the name is back.
        self._dns_host = checked
        try:
            return super()._new_conn()
        finally:
            self._dns_host = name


class _HTTPConnection(_PinnedConnection, HTTPConnection):
    pass


class _HTTPSConnection(_PinnedConnection, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


class GuardedAdapter(HTTPAdapter):
    """A requests adapter whose every connection goes through ``resolve``."""

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}


def session(**adapter_options) -> requests.Session:
    """Return a requests session that calls public addresses (and allowed networks) only.

    Environment proxies are ignored: a proxy would resolve the name itself, unchecked.
    """
    http = requests.Session()
    http.trust_env = False
    adapter = GuardedAdapter(**adapter_options)
    http.mount("http://", adapter)
    http.mount("https://", adapter)
    return http
