"""Which URL did the sender sign? The public one, which the app only sees through its proxy's headers.

X-Forwarded-Proto and X-Forwarded-Host are believed only from configured proxy addresses.
"""

from __future__ import annotations

from collections.abc import Sequence
from ipaddress import IPv4Network, IPv6Network, ip_address

from starlette.requests import Request

IPNetwork = IPv4Network | IPv6Network


def peer_is_trusted(request: Request, trusted_proxies: Sequence[IPNetwork]) -> bool:
    if request.client is None:
        return False
    try:
        peer = ip_address(request.client.host)
    except ValueError:  # not an IP (a test client's name, a Unix socket): trust nothing
        return False
    return any(peer in network for network in trusted_proxies)


def _first(value: str | None) -> str | None:
    """The left-most entry: the one our edge proxy set from what the client asked for."""
    if not value:
        return None
    return value.split(",")[0].strip() or None


def public_url(request: Request, trusted_proxies: Sequence[IPNetwork]) -> str:
    """The URL as the client addressed it: scheme and host from a trusted proxy, else from the socket."""
    url = request.url
    if peer_is_trusted(request, trusted_proxies):
        proto = _first(request.headers.get("x-forwarded-proto"))
        host = _first(request.headers.get("x-forwarded-host"))
        if proto in ("http", "https"):
            url = url.replace(scheme=proto)
        if host:
            url = url.replace(netloc=host)
    return str(url)
