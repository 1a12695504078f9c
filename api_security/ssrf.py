"""How do you stop a callback URL from reaching inside your network (SSRF)? Resolve it, refuse non-public addresses.

Check when the URL comes in (a clear 422) and again when it is called: `pin` then connects to exactly the
addresses vetted at send time, so a DNS answer that changes in between (rebinding) reaches nothing new.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address
from urllib.parse import SplitResult, urlsplit

import httpx

from error_handling.problems import ValidationFailed

IPAddress = IPv4Address | IPv6Address
IPNetwork = IPv4Network | IPv6Network
ALLOWED_SCHEMES = ("https", "http")
DEFAULT_PORTS = {"https": 443, "http": 80}
# Turns (host, port) into addresses; tests inject one to play a rebinding DNS server.
Resolver = Callable[[str, int], Awaitable[list[str]]]


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class Unresolvable(ValidationFailed):
    """The host has no address right now: at send time that may pass, so a sender may retry."""


def _refuse(url: str, why: str) -> ValidationFailed:
    return ValidationFailed(f"Callback URL refused: {why}.", extra={"url": url})


def embedded_ipv4(address: IPv6Address) -> IPv4Address | None:
    """The IPv4 address an IPv6 form carries, which a relay or the kernel will deliver to.

    ::ffff:a.b.c.d (mapped), 2002:aabb:ccdd::/48 (6to4, RFC 3056) and 2001:0::/32 (Teredo,
    RFC 4380, whose client address is stored inverted; `ipaddress` undoes that).
    """
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    return None


def why_not_public(address: IPAddress) -> str | None:
    """Name the reason an address is off-limits, or None if it is publicly routable."""
    if isinstance(address, IPv6Address) and (inner := embedded_ipv4(address)) is not None:
        reason = why_not_public(inner)
        if reason is not None:  # 2002:7f00:1:: is 127.0.0.1 in disguise
            return f"{reason} (it carries the IPv4 address {inner})"
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


def _parse(url: str) -> tuple[SplitResult, str, int]:
    """Split an outbound URL into parts, host and port, or refuse it with the reason."""
    try:
        parts = urlsplit(url)
        # The sender is httpx: a URL it cannot send (say, a host that is not valid IDNA) is refused here.
        httpx.URL(url)
    except (ValueError, httpx.InvalidURL):  # e.g. an unclosed "[" around an IPv6 host
        raise _refuse(url, "the URL is not well formed") from None
    if parts.scheme not in ALLOWED_SCHEMES:
        raise _refuse(url, "only http and https URLs are called")
    if parts.username is not None or parts.password is not None:
        raise _refuse(url, "credentials in the URL are not allowed")
    if not parts.hostname:
        raise _refuse(url, "the URL has no host")
    try:
        port = parts.port or DEFAULT_PORTS[parts.scheme]
    except ValueError:
        raise _refuse(url, "the port is not a number between 0 and 65535") from None
    return parts, parts.hostname, port


async def check_outbound_url(
    url: str,
    allowed_networks: Sequence[IPNetwork] = (),
    resolver: Resolver = system_resolver,
) -> list[IPAddress]:
    """Raise `ValidationFailed` unless every address `url`'s host resolves to is public (or allowed)."""
    _, host, port = _parse(url)
    try:
        answers = await resolver(host, port)
    except (OSError, UnicodeError):  # socket.gaierror is an OSError
        answers = []
    addresses = list(dict.fromkeys(ip_address(answer) for answer in answers))
    if not addresses:
        raise Unresolvable(
            f"Callback URL refused: the host {host!r} does not resolve.", extra={"url": url}
        )
    for address in addresses:
        if any(address in network for network in allowed_networks):
            continue
        reason = why_not_public(address)
        if reason is not None:
            # Every answer must pass: one private record among public ones is still a way in.
            raise _refuse(url, f"{host} resolves to {address}, which is {reason}")
    return addresses


@dataclass(frozen=True)
class PinnedRequest:
    """Where to connect (`url`, its host an IP) and what to tell the server (Host header, TLS name)."""

    url: str
    headers: dict[str, str]
    # httpx request extensions: "sni_hostname" makes TLS ask for, and verify, the original name.
    extensions: dict[str, str] = field(default_factory=dict)


def pin(url: str, address: IPAddress) -> PinnedRequest:
    """The request for `url`, sent to `address` and nowhere else; nothing is resolved again."""
    parts, _, port = _parse(url)
    literal = f"[{address}]" if isinstance(address, IPv6Address) else str(address)
    netloc = literal if parts.port is None else f"{literal}:{port}"
    # The fragment is never sent; the Host header and the TLS name are the customer's host, in
    # its ASCII (IDNA) form, as httpx would have sent them for the URL itself.
    target = parts._replace(netloc=netloc, fragment="").geturl()
    named = httpx.URL(url)
    extensions = {"sni_hostname": named.raw_host.decode("ascii")} if parts.scheme == "https" else {}
    return PinnedRequest(
        url=target, headers={"Host": named.netloc.decode("ascii")}, extensions=extensions
    )


async def vetted_request(
    url: str,
    allowed_networks: Sequence[IPNetwork] = (),
    resolver: Resolver = system_resolver,
) -> PinnedRequest:
    """Resolve once, check every answer, and pin the request to the first vetted address."""
    addresses = await check_outbound_url(url, allowed_networks, resolver)
    return pin(url, addresses[0])
