"""What do REST and GraphQL share? Everything but the wire: queries, pages, validation, access.

Both twins call these functions with one AsyncSession and the caller's account SID.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from error_handling.problems import NotFound, ValidationFailed
from rest_vs_graphql.models import Account, Conversation, Message, Participant, PhoneNumber, new_sid
from rest_vs_graphql.pagination import Page, Position, check_page_size, decode_token, encode_token

E164 = re.compile(r"\+[1-9][0-9]{1,14}")
MAX_BODY = 1600
NO_SUCH_ACCOUNT = "No account {sid} is visible to you."
NO_SUCH_MESSAGE = "No message {sid} in account {account}."
NO_SUCH_NUMBER = "No phone number {sid} in account {account}."
NO_SUCH_CONVERSATION = "No conversation {sid} in account {account}."
INVALID_MESSAGE = "The message is not valid; see `errors` for each field."

Listed = TypeVar("Listed", Message, Conversation)


@dataclass(frozen=True)
class NewMessage:
    from_number: str
    to_number: str
    body: str
    status_callback: str | None = None


# Runs inside the transaction that creates the message: the place for an outbox row.
MessageQueued = Callable[[AsyncSession, Message], Awaitable[None]]
MAX_CALLBACK_URL = 2048


def authorize(caller: str | None, account_sid: str) -> None:
    """The authorization hook: a caller sees only its own account (None: no auth, as in the demo).

    Another account's data answers 404, not 403, so its existence does not leak.
    """
    if caller is not None and caller != account_sid:
        raise NotFound(NO_SUCH_ACCOUNT.format(sid=account_sid))


async def get_account(session: AsyncSession, caller: str | None, account_sid: str) -> Account:
    authorize(caller, account_sid)
    account = await session.scalar(select(Account).where(Account.sid == account_sid))
    if account is None:
        raise NotFound(NO_SUCH_ACCOUNT.format(sid=account_sid))
    return account


async def get_message(
    session: AsyncSession, caller: str | None, account_sid: str, message_sid: str
) -> Message:
    authorize(caller, account_sid)
    message = await session.scalar(
        select(Message).where(Message.sid == message_sid, Message.account_sid == account_sid)
    )
    if message is None:
        raise NotFound(NO_SUCH_MESSAGE.format(sid=message_sid, account=account_sid))
    return message


async def get_phone_number(
    session: AsyncSession, caller: str | None, account_sid: str, number_sid: str
) -> PhoneNumber:
    authorize(caller, account_sid)
    number = await session.scalar(
        select(PhoneNumber).where(
            PhoneNumber.sid == number_sid, PhoneNumber.account_sid == account_sid
        )
    )
    if number is None:
        raise NotFound(NO_SUCH_NUMBER.format(sid=number_sid, account=account_sid))
    return number


async def participants_of(
    session: AsyncSession, caller: str | None, account_sid: str, conversation_sid: str
) -> list[Participant]:
    authorize(caller, account_sid)
    conversation = await session.scalar(
        select(Conversation.sid).where(
            Conversation.sid == conversation_sid, Conversation.account_sid == account_sid
        )
    )
    if conversation is None:
        raise NotFound(NO_SUCH_CONVERSATION.format(sid=conversation_sid, account=account_sid))
    return (await participants_by_conversation(session, [conversation_sid]))[0]


async def list_messages(
    session: AsyncSession,
    caller: str | None,
    account_sid: str,
    *,
    page_size: int,
    page_token: str | None,
    max_page_size: int,
) -> Page[Message]:
    return await _page(session, caller, account_sid, Message, page_size, page_token, max_page_size)


async def list_conversations(
    session: AsyncSession,
    caller: str | None,
    account_sid: str,
    *,
    page_size: int,
    page_token: str | None,
    max_page_size: int,
) -> Page[Conversation]:
    return await _page(
        session, caller, account_sid, Conversation, page_size, page_token, max_page_size
    )


async def _page(
    session: AsyncSession,
    caller: str | None,
    account_sid: str,
    model: type[Listed],
    page_size: int,
    page_token: str | None,
    max_page_size: int,
) -> Page[Listed]:
    authorize(caller, account_sid)
    check_page_size(page_size, max_page_size)
    query = select(model).where(model.account_sid == account_sid)
    if page_token is not None:
        after = decode_token(page_token)
        query = query.where(tuple_(model.created_at, model.sid) < (after.created_at, after.sid))
    # One row more than asked says whether a next page exists, without a COUNT(*).
    query = query.order_by(model.created_at.desc(), model.sid.desc()).limit(page_size + 1)
    rows = list((await session.scalars(query)).all())
    if not rows and page_token is None:
        await get_account(session, caller, account_sid)  # an empty list, or no such account?
    items, more = rows[:page_size], len(rows) > page_size
    last = items[-1] if items else None
    next_token = encode_token(Position(last.created_at, last.sid)) if more and last else None
    return Page(items=items, next_token=next_token)


async def create_message(
    session: AsyncSession,
    caller: str | None,
    account_sid: str,
    new: NewMessage,
    *,
    on_queued: MessageQueued | None = None,
) -> Message:
    """Validate, then queue the message; a worker sends it later and moves its status along."""
    errors = [
        {"field": field, "message": message}
        for field, message in (
            ("From", None if E164.fullmatch(new.from_number) else "must be an E.164 number"),
            ("To", None if E164.fullmatch(new.to_number) else "must be an E.164 number"),
            ("Body", None if new.body.strip() else "must not be empty"),
            ("Body", None if len(new.body) <= MAX_BODY else f"at most {MAX_BODY} characters"),
            ("StatusCallback", _callback_problem(new.status_callback)),
        )
        if message is not None
    ]
    if errors:
        raise ValidationFailed(INVALID_MESSAGE, errors=errors)
    await get_account(session, caller, account_sid)
    sender = await session.scalar(
        select(PhoneNumber).where(
            PhoneNumber.account_sid == account_sid, PhoneNumber.phone_number == new.from_number
        )
    )
    if sender is None:
        raise ValidationFailed(
            INVALID_MESSAGE,
            errors=[{"field": "From", "message": "is not a phone number of this account"}],
        )
    now = datetime.now(UTC)
    message = Message(
        sid=new_sid("SM"),
        account_sid=account_sid,
        phone_number_sid=sender.sid,
        from_number=new.from_number,
        to_number=new.to_number,
        body=new.body,
        status="queued",
        direction="outbound-api",
        price=None,
        created_at=now,
        updated_at=now,
        status_callback=new.status_callback,
    )
    session.add(message)
    if on_queued is not None:
        await session.flush()
        await on_queued(session, message)  # a failure here rolls the message back too
    await session.commit()
    return message


def _callback_problem(url: str | None) -> str | None:
    if url is None:
        return None
    if not url.startswith(("http://", "https://")):
        return "must be an http:// or https:// URL"
    if len(url) > MAX_CALLBACK_URL:
        return f"at most {MAX_CALLBACK_URL} characters"
    return None


# Batch loads: one statement for many keys, results in the keys' order (what a DataLoader needs).


async def phone_numbers_by_sid(
    session: AsyncSession, sids: Sequence[str]
) -> list[PhoneNumber | None]:
    rows = await session.scalars(select(PhoneNumber).where(PhoneNumber.sid.in_(sids)))
    by_sid = {row.sid: row for row in rows}
    return [by_sid.get(sid) for sid in sids]


async def accounts_by_sid(session: AsyncSession, sids: Sequence[str]) -> list[Account | None]:
    rows = await session.scalars(select(Account).where(Account.sid.in_(sids)))
    by_sid = {row.sid: row for row in rows}
    return [by_sid.get(sid) for sid in sids]


async def participants_by_conversation(
    session: AsyncSession, conversation_sids: Sequence[str]
) -> list[list[Participant]]:
    rows = await session.scalars(
        select(Participant)
        .where(Participant.conversation_sid.in_(conversation_sids))
        .order_by(Participant.created_at, Participant.sid)
    )
    grouped: dict[str, list[Participant]] = {sid: [] for sid in conversation_sids}
    for row in rows:
        grouped[row.conversation_sid].append(row)
    return [grouped[sid] for sid in conversation_sids]


async def phone_numbers_of_account(
    session: AsyncSession, caller: str | None, account_sid: str
) -> list[PhoneNumber]:
    authorize(caller, account_sid)
    rows = await session.scalars(
        select(PhoneNumber).where(PhoneNumber.account_sid == account_sid).order_by(PhoneNumber.sid)
    )
    return list(rows)
