"""Our own status callbacks: signed with a timestamp and an id in the URL, admitted once, while fresh."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import redis.asyncio

from api_security.callback_signer import CALLBACK_ID_PARAM, TIMESTAMP_PARAM, CallbackSigner
from api_security.replay_guard import MISSING_STAMP, REPLAYED, STALE, STAMP_AT_END, ReplayGuard
from api_security.signatures import SIGNATURE_HEADER, RequestValidator
from error_handling.problems import Forbidden

TOKEN = "callback-token"
NOW = 1_800_000_000.0
TOLERANCE_S = 300
PARAMS = {"MessageSid": "SM123", "MessageStatus": "delivered"}


def signer_at(t: float) -> CallbackSigner:
    return CallbackSigner(TOKEN, clock=lambda: t)


def guard_at(client: redis.asyncio.Redis, t: float) -> ReplayGuard:
    return ReplayGuard(client, TOLERANCE_S, clock=lambda: t)


def test_a_signed_callback_carries_its_stamp_in_the_signed_url() -> None:
    # Rule: timestamp and id are query params of the URL the signature covers, and the original query stays.
    signed = signer_at(NOW).sign("https://example.com/status?tenant=7", PARAMS)
    query = parse_qs(urlsplit(signed.url).query)

    assert query["tenant"] == ["7"]
    assert query[TIMESTAMP_PARAM] == [str(int(NOW))]
    assert len(query[CALLBACK_ID_PARAM][0]) == 32
    assert RequestValidator(TOKEN).validate(signed.url, PARAMS, signed.headers[SIGNATURE_HEADER])


def test_the_stamp_ends_the_url_and_a_customers_own_stamp_params_are_dropped() -> None:
    # Rule: the stamp is the signed URL's last text, so nothing can slide in after it; a customer
    # URL cannot smuggle a second id, and its fragment (never sent) is dropped.
    signed = signer_at(NOW).sign(f"https://example.com/s?{CALLBACK_ID_PARAM}=evil&a=1#frag", PARAMS)
    query = parse_qs(urlsplit(signed.url).query)

    assert query["a"] == ["1"]
    assert query[CALLBACK_ID_PARAM] != ["evil"] and len(query[CALLBACK_ID_PARAM]) == 1
    assert STAMP_AT_END.search(signed.url) is not None
    assert "#" not in signed.url


def test_moving_the_timestamp_breaks_the_signature() -> None:
    # Rule: a replayer cannot refresh an old callback's timestamp without the token.
    signed = signer_at(NOW).sign("https://example.com/status", PARAMS)
    refreshed = signed.url.replace(str(int(NOW)), str(int(NOW) + 3600))

    assert not RequestValidator(TOKEN).validate(refreshed, PARAMS, signed.headers[SIGNATURE_HEADER])


def test_two_callbacks_get_different_ids() -> None:
    # Rule: ids are unique per callback, or the second genuine one would be refused as a replay.
    first = signer_at(NOW).sign("https://example.com/status", PARAMS)
    second = signer_at(NOW).sign("https://example.com/status", PARAMS)

    assert first.url != second.url


async def test_a_fresh_callback_is_admitted_once_and_its_replay_refused(
    redis_client: redis.asyncio.Redis,
) -> None:
    # Rule: the first delivery passes; the same id again is a replay, answered 403 with REPLAYED.
    signed = signer_at(NOW).sign("https://example.com/status", PARAMS)
    guard = guard_at(redis_client, NOW + 1)

    await guard.admit(signed.url)
    with pytest.raises(Forbidden) as refused:
        await guard.admit(signed.url)

    assert refused.value.detail == REPLAYED


async def test_the_seen_id_expires_after_the_window_on_both_sides(
    redis_client: redis.asyncio.Redis,
) -> None:
    # Rule: an id is remembered exactly as long as its timestamp could still be accepted (2 × tolerance).
    signed = signer_at(NOW).sign("https://example.com/status", PARAMS)
    await guard_at(redis_client, NOW).admit(signed.url)
    key = "api_security:seen-callback:" + parse_qs(urlsplit(signed.url).query)[CALLBACK_ID_PARAM][0]

    ttl = await redis_client.ttl(key)

    assert 0 < ttl <= 2 * TOLERANCE_S


@pytest.mark.parametrize("skew_s", [-(TOLERANCE_S + 1), TOLERANCE_S + 1])
async def test_a_callback_outside_the_window_is_refused_as_stale(
    redis_client: redis.asyncio.Redis, skew_s: int
) -> None:
    # Rule: too old or from the future, the stamp is refused before any id is stored.
    signed = signer_at(NOW).sign("https://example.com/status", PARAMS)

    with pytest.raises(Forbidden) as refused:
        await guard_at(redis_client, NOW + skew_s).admit(signed.url)

    assert refused.value.detail == STALE
    assert await redis_client.dbsize() == 0


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/status",
        f"https://example.com/status?{TIMESTAMP_PARAM}=1800000000",
        f"https://example.com/status?{CALLBACK_ID_PARAM}=abc",
        f"https://example.com/status?{TIMESTAMP_PARAM}=soon&{CALLBACK_ID_PARAM}=abc",
        f"https://example.com/status?{TIMESTAMP_PARAM}=1&{TIMESTAMP_PARAM}=2&{CALLBACK_ID_PARAM}=abc",
    ],
    ids=["no-stamp", "no-id", "no-timestamp", "timestamp-not-a-number", "two-timestamps"],
)
async def test_a_callback_without_exactly_one_stamp_and_id_is_refused(
    redis_client: redis.asyncio.Redis, url: str
) -> None:
    # Rule: replay protection cannot be opted out of by leaving the stamp off.
    with pytest.raises(Forbidden) as refused:
        await guard_at(redis_client, NOW).admit(url)

    assert refused.value.detail == MISSING_STAMP
