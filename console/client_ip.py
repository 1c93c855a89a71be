"""The address a request comes from, as the sign-in lockout (django-axes) and the audit see it.

With TRUSTED_PROXY_COUNT = 0 (the default) the peer address is the client: X-Forwarded-For is the
client's own word and is ignored. Behind N reverse proxies that each append the address they
received from, the client is the N-th address from the right of X-Forwarded-For followed by the
peer; the addresses further left were written by the client and are never believed.
"""

import ipaddress

from django.conf import settings


def client_ip(request) -> str | None:
    """Return the client's IP address, trusting only the configured number of proxies."""
    peer = request.META.get("REMOTE_ADDR")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return peer
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    chain = [hop.strip() for hop in forwarded.split(",") if hop.strip()] + [peer or ""]
    if len(chain) <= proxies:
        # Fewer hops than proxies: the request did not come through them all.
        return peer
    candidate = chain[-(proxies + 1)]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return peer
