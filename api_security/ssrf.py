"""How do you stop a callback URL from reaching inside your network (SSRF)? Resolve it, refuse non-public addresses.

Return the vetted addresses so the sender connects to exactly those, not to a second, rebound DNS answer.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address
from urllib.parse import urlsplit

from error_handling.problems import ValidationFailed

IPAddress = IPv4Address | IPv6Address
IPNetwork = IPv4Network | IPv6Network
ALLOWED_SCHEMES = ("https", "http")


def _refuse(url: str, why: str) -> ValidationFailed:
    return ValidationFailed(f"Callback URL refused: {why}.", extra={"url": url})


def why_not_public(address: IPAddress) -> str | None:
    """Name the reason an address is off-limits, or None if it is publicly routable."""
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1 in disguise
    for reason, flag in (
        ("loopback", address.is_loopback),
        ("link-local (cloud metadata lives here)", address.is_link_local),
        ("private", address.is_private),
        ("multicast", address.is_multicast),
        ("unspecified", address.is_unspecified),
        ("reserved", address.is_reserved),
    ):
        if flag:
            return reason
    return None if address.is_global else "not globally routable"


async def check_outbound_url(
    url: str, allowed_networks: Sequence[IPNetwork] = ()
) -> list[IPAddress]:
    """Raise `ValidationFailed` unless every address `url`'s host resolves to is public (or allowed)."""
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unclosed "[" around an IPv6 host
        raise _refuse(url, "the URL is not well formed") from None
    if parts.scheme not in ALLOWED_SCHEMES:
        raise _refuse(url, "only http and https URLs are called")
    if parts.username is not None or parts.password is not None:
        raise _refuse(url, "credentials in the URL are not allowed")
    if not parts.hostname:
        raise _refuse(url, "the URL has no host")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise _refuse(url, "the port is not a number between 0 and 65535") from None
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            parts.hostname, port, type=socket.SOCK_STREAM
        )
    except (socket.gaierror, UnicodeError):
        raise _refuse(url, f"the host {parts.hostname!r} does not resolve") from None
    addresses = list(dict.fromkeys(ip_address(info[4][0]) for info in infos))
    for address in addresses:
        if any(address in network for network in allowed_networks):
            continue
        reason = why_not_public(address)
        if reason is not None:
            # Every answer must pass: one private record among public ones is still a way in.
            raise _refuse(url, f"{parts.hostname} resolves to {address}, which is {reason}")
    return addresses
