"""What happens inside the transaction that accepts a message? Its callback URL is vetted and an
outbox row is written beside it, so the message and the event that announces it commit together.
"""

from __future__ import annotations

import contextvars
from collections.abc import Sequence

from fastapi import Request
from fastapi.security import SecurityScopes
from sqlalchemy.ext.asyncio import AsyncSession

from api_security import check_outbound_url
from api_security.settings import IPNetwork
from app.accounts import account_sid_of
from auth.dependencies import bearer, current_principal, get_auth
from error_handling import current_correlation
from error_handling.problems import Forbidden, RateLimited
from queue_demo.outbox import MESSAGE_QUEUED, add_to_outbox
from rate_limiter import RedisTokenBucket
from rate_limiter.headers import retry_after_field
from rest_vs_graphql.models import Message
from rest_vs_graphql.service import MessageQueued

NOBODY = "anonymous"  # matches no account SID, so the service layer shows nothing
NO_WRITE_SCOPE = "This token lacks the scope 'messages:write' needed to send a message."
TOO_MANY = "This account is sending faster than its limit; retry after the time in Retry-After."

# Set per request by the GraphQL caller dependency; read by the mutation's hook.
_may_send: contextvars.ContextVar[bool] = contextvars.ContextVar("may_send", default=False)


def enqueue_delivery(stream: str, allowed_networks: Sequence[IPNetwork]) -> MessageQueued:
    """The REST send route's hook: scope and rate limit were checked by the route's dependencies."""

    async def enqueue(session: AsyncSession, message: Message) -> None:
        if message.status_callback is not None:
            # Refuse early, with a 422 the sender can read. This is not the guard against SSRF
            # itself: DNS may answer differently later, so the callback sender checks again at
            # send time and connects only to the addresses it vetted then.
            await check_outbound_url(message.status_callback, allowed_networks)
        await add_to_outbox(
            session,
            stream=stream,
            event_type=MESSAGE_QUEUED,
            # The fields queue_demo's DeliverMessages reads; the status callback URL stays in the row.
            payload={
                "message_id": message.sid,
                "account_sid": message.account_sid,
                "to": message.to_number,
                "body": message.body,
            },
            **current_correlation(),
        )

    return enqueue


def guarded_enqueue(enqueue: MessageQueued, bucket: RedisTokenBucket) -> MessageQueued:
    """The GraphQL mutation's hook: the same checks the REST route gets from its dependencies."""

    async def check_then_enqueue(session: AsyncSession, message: Message) -> None:
        if not _may_send.get():
            raise Forbidden(NO_WRITE_SCOPE)
        # The same key the REST route's limiter uses: one budget per account, whichever API sends.
        decisions = await bucket.acquire_all(f"user:{message.account_sid}")
        if not all(decision.allowed for decision in decisions):
            raise RateLimited(TOO_MANY, headers={"Retry-After": retry_after_field(decisions)})
        await enqueue(session, message)

    return check_then_enqueue


async def graphql_caller(request: Request) -> str:
    """GraphQL's `caller`: the token's account, with messages:read; the hook above also wants write.

    Without any token the caller is nobody: it sees no account, yet GraphiQL still loads.
    A token that is present but bad is refused with 401, as on every other route.
    """
    token = await bearer(request)
    if token is None and "authorization" not in request.headers:
        _may_send.set(False)
        return NOBODY
    principal = await current_principal(
        SecurityScopes(["messages:read"]), request, await get_auth(request), token
    )
    _may_send.set("messages:write" in principal.scopes)
    return account_sid_of(principal.user_id)
