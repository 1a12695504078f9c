"""Outbound callback URLs: resolved first, refused if any address is not public (unless allow-listed)."""

from __future__ import annotations

from ipaddress import ip_address, ip_network

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from api_security.ssrf import check_outbound_url, pin, vetted_request
from error_handling.problems import ValidationFailed


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1/admin", "127.0.0.1, which is loopback"),
        ("http://localhost:6379/", "which is loopback"),
        ("http://2130706433/", "127.0.0.1, which is loopback"),  # 127.0.0.1 written as one number
        ("http://[::1]/", "::1, which is loopback"),
        ("http://[::ffff:127.0.0.1]/", "which is loopback"),
        ("http://169.254.169.254/latest/meta-data/", "link-local (cloud metadata lives here)"),
        ("http://10.0.0.7/", "10.0.0.7, which is private"),
        ("http://172.16.0.1/", "172.16.0.1, which is private"),
        ("http://192.168.1.1/", "192.168.1.1, which is private"),
        ("http://[fd00::1]/", "fd00::1, which is private"),
        ("http://0.0.0.0/", "0.0.0.0, which is"),
        ("http://224.0.0.1/", "224.0.0.1, which is multicast"),
        ("http://100.64.0.1/", "100.64.0.1, which is not globally routable"),  # carrier-grade NAT
        ("http://240.0.0.1/", "240.0.0.1, which is"),
        # 6to4 (RFC 3056) and Teredo (RFC 4380) carry an IPv4 address a relay delivers to.
        ("http://[2002:7f00:1::]/", "which is loopback (it carries the IPv4 address 127.0.0.1)"),
        ("http://[2002:a9fe:a9fe::]/", "link-local (cloud metadata lives here) (it carries"),
        ("http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/", "carries the IPv4 address 127.0.0.1"),
    ],
)
async def test_internal_targets_are_refused(url: str, reason: str) -> None:
    # Rule: loopback, link-local, private, multicast, unspecified and reserved addresses are off-limits.
    with pytest.raises(ValidationFailed) as refused:
        await check_outbound_url(url)

    assert refused.value.detail.startswith("Callback URL refused: ")
    assert reason in refused.value.detail


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://[::1/", "the URL is not well formed"),
        ("file:///etc/passwd", "only http and https URLs are called"),
        ("gopher://8.8.8.8/", "only http and https URLs are called"),
        ("https://user:pw@8.8.8.8/", "credentials in the URL are not allowed"),
        ("https:///path-only", "the URL has no host"),
        ("https://8.8.8.8:99999/", "the port is not a number between 0 and 65535"),
        ("https://no-such-host.invalid/", "the host 'no-such-host.invalid' does not resolve"),
    ],
)
async def test_malformed_or_unresolvable_urls_are_refused(url: str, why: str) -> None:
    # Rule: anything but a plain http(s) URL to a resolvable host is refused, with the reason.
    with pytest.raises(ValidationFailed) as refused:
        await check_outbound_url(url)

    assert refused.value.detail == f"Callback URL refused: {why}."


async def test_a_public_address_is_allowed_and_returned_for_pinning() -> None:
    # Rule: public targets pass, and the vetted addresses come back so the sender connects to them.
    assert await check_outbound_url("https://8.8.8.8/hook") == [ip_address("8.8.8.8")]


def test_a_pinned_https_request_goes_to_the_address_but_names_the_host_for_tls_and_http() -> None:
    # Rule: connect to the vetted IP, yet send the customer's Host header and TLS server name, so
    # the certificate is still checked against the name the customer gave.
    pinned = pin("https://Customer.example:8443/status?a=1#frag", ip_address("93.184.215.14"))

    assert pinned.url == "https://93.184.215.14:8443/status?a=1"
    assert pinned.headers == {"Host": "customer.example:8443"}
    assert pinned.extensions == {"sni_hostname": "customer.example"}


def test_a_pinned_ipv6_address_is_bracketed_and_plain_http_needs_no_tls_name() -> None:
    pinned = pin("http://customer.example/status", ip_address("2606:2800:220:1::1"))

    assert pinned.url == "http://[2606:2800:220:1::1]/status"
    assert pinned.headers == {"Host": "customer.example"}
    assert pinned.extensions == {}


async def test_attack_a_name_with_one_private_answer_among_public_ones_is_refused() -> None:
    """OWASP API7:2023 (SSRF): every DNS answer must pass, not just the one a client would try first."""

    async def mixed_dns(host: str, port: int) -> list[str]:
        return ["93.184.215.14", "10.0.0.7"]

    with pytest.raises(ValidationFailed) as refused:
        await vetted_request("https://mixed.example/hook", resolver=mixed_dns)

    assert "mixed.example resolves to 10.0.0.7, which is private" in refused.value.detail


async def test_an_allow_listed_network_is_reachable_for_local_demos() -> None:
    # Rule: only an explicit allow-list opens a private range (for demos on 127.0.0.1).
    addresses = await check_outbound_url("http://127.0.0.1:8080/hook", [ip_network("127.0.0.0/8")])

    assert addresses == [ip_address("127.0.0.1")]


async def test_the_messages_endpoint_refuses_an_internal_status_callback(
    client: httpx.AsyncClient, root_auth: tuple[str, str]
) -> None:
    # Rule: the check runs where URLs enter the API: a 422 problem naming the reason.
    response = await client.post(
        "/messages",
        auth=root_auth,
        json={"to": "+14155550100", "body": "hi", "status_callback": "http://169.254.169.254/"},
    )

    assert response.status_code == 422
    assert response.json()["detail"] == (
        "Callback URL refused: 169.254.169.254 resolves to 169.254.169.254, "
        "which is link-local (cloud metadata lives here)."
    )


async def test_the_messages_endpoint_accepts_a_public_status_callback(
    client: httpx.AsyncClient, root_auth: tuple[str, str]
) -> None:
    # Rule: the check refuses only what it must.
    response = await client.post(
        "/messages",
        auth=root_auth,
        json={"to": "+14155550100", "body": "hi", "status_callback": "https://8.8.8.8/status"},
    )

    assert response.status_code == 202
    assert response.json()["status"] == "queued"


@given(
    url=st.one_of(
        st.text(max_size=40),
        st.builds("https://{}/{}".format, st.text(max_size=12), st.text(max_size=12)),
        st.builds("http://h.example:{}/".format, st.text(max_size=6)),
    )
)
async def test_attack_any_url_is_pinned_or_refused_with_a_reason_never_a_crash(url: str) -> None:
    """Crash on demand: whatever the URL, the sender gets a pinned request or a 422-shaped refusal."""

    async def public_dns(host: str, port: int) -> list[str]:
        return ["93.184.215.14"]

    try:
        pinned = await vetted_request(url, resolver=public_dns)
    except ValidationFailed as refused:
        assert refused.detail.startswith("Callback URL refused: ")
    else:
        assert pinned.url.startswith(("http://93.184.215.14", "https://93.184.215.14"))
