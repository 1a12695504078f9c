"""The REST twin, in Twilio's style: resource URLs, SIDs, pages with `next_page_uri`, ETags.

Each route parses the request, calls the service layer, and shapes the JSON; nothing more.
"""

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Annotated, Any, Protocol, TypeVar

from fastapi import APIRouter, Depends, Form, Path, Query, Request, Response, params
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from error_handling.plain_text import MultilineText, PlainText
from error_handling.problems import DomainError
from rest_vs_graphql import service
from rest_vs_graphql.conditional_get import json_with_etag
from rest_vs_graphql.models import Account, Conversation, Message, Participant, PhoneNumber
from rest_vs_graphql.pagination import Page
from rest_vs_graphql.settings import TwinSettings, get_twin_settings

API = "/2010-04-01"
FORM_ONLY = "Send the message as application/x-www-form-urlencoded (To, From, Body), as Twilio's API takes it."

Row = TypeVar("Row", Message, Conversation)


# Every id in a URL: a SID is plain text, so a NUL in it is a 422, not a database error.
Sid = Annotated[PlainText, Path()]


class UnsupportedMediaType(DomainError):
    status, slug = 415, "unsupported-media-type"


async def no_authentication() -> str | None:
    """The demo runs without auth; the composed app passes its own `caller` dependency."""
    return None


async def require_form(request: Request) -> None:
    content_type = request.headers.get("content-type", "").split(";")[0].strip()
    if content_type != "application/x-www-form-urlencoded":
        raise UnsupportedMediaType(FORM_ONLY)


@dataclass(frozen=True)
class Twin:
    """What one mounted REST twin was built with; its routes read it through `TwinDep`."""

    sessions: async_sessionmaker[AsyncSession]
    settings: TwinSettings
    on_queued: service.MessageQueued | None
    caller: str | None = None  # who is calling: set per request once `caller` has run


async def current_twin(request: Request) -> Twin:
    twin: Twin = request.state.rest_twin
    return twin


TwinDep = Annotated[Twin, Depends(current_twin)]


async def open_session(twin: TwinDep) -> AsyncIterator[AsyncSession]:
    async with twin.sessions() as session:
        yield session


Session = Annotated[AsyncSession, Depends(open_session)]
PageSize = Annotated[int | None, Query(alias="PageSize")]
PageToken = Annotated[PlainText | None, Query(alias="PageToken")]


def read(request: Request, twin: Twin, payload: Any) -> Response:
    return json_with_etag(request, payload, twin.settings.cache_control)


class PageLister(Protocol[Row]):
    """A service call that lists one page of an account's rows (`service.list_messages`, …)."""

    def __call__(
        self,
        session: AsyncSession,
        caller: str | None,
        account_sid: str,
        *,
        page_size: int,
        page_token: str | None,
        max_page_size: int,
    ) -> Awaitable[Page[Row]]: ...


async def list_page(
    request: Request,
    twin: Twin,
    session: AsyncSession,
    account_sid: str,
    page_size: int | None,
    page_token: str | None,
    *,
    lister: PageLister[Row],
    key: str,
    path: str,
    item_json: Callable[[Row], dict[str, Any]],
) -> Response:
    """One page of a list route: the settings' default size, the service's page, Twilio's JSON."""
    size = twin.settings.default_page_size if page_size is None else page_size
    page = await lister(
        session,
        twin.caller,
        account_sid,
        page_size=size,
        page_token=page_token,
        max_page_size=twin.settings.max_page_size,
    )
    uri = f"{API}/Accounts/{account_sid}/{path}"
    items = [item_json(row) for row in page.items]
    return read(request, twin, list_json(key, items, uri, size, page.next_token))


# The routes: each parses the request, calls the service layer, and shapes Twilio's JSON.


async def fetch_account(
    request: Request, AccountSid: Sid, session: Session, twin: TwinDep
) -> Response:
    account = await service.get_account(session, twin.caller, AccountSid)
    return read(request, twin, account_json(account))


async def list_messages(
    request: Request,
    AccountSid: Sid,
    session: Session,
    twin: TwinDep,
    page_size: PageSize = None,
    page_token: PageToken = None,
) -> Response:
    return await list_page(
        request,
        twin,
        session,
        AccountSid,
        page_size,
        page_token,
        lister=service.list_messages,
        key="messages",
        path="Messages.json",
        item_json=message_json,
    )


async def fetch_message(
    request: Request, AccountSid: Sid, MessageSid: Sid, session: Session, twin: TwinDep
) -> Response:
    message = await service.get_message(session, twin.caller, AccountSid, MessageSid)
    return read(request, twin, message_json(message))


async def create_message(
    AccountSid: Sid,
    session: Session,
    twin: TwinDep,
    to: Annotated[PlainText, Form(alias="To")],
    from_: Annotated[PlainText, Form(alias="From")],
    body: Annotated[MultilineText, Form(alias="Body")],
    status_callback: Annotated[PlainText | None, Form(alias="StatusCallback")] = None,
) -> dict[str, Any]:
    new = service.NewMessage(
        from_number=from_, to_number=to, body=body, status_callback=status_callback
    )
    message = await service.create_message(
        session, twin.caller, AccountSid, new, on_queued=twin.on_queued
    )
    return message_json(message)


async def fetch_phone_number(
    request: Request, AccountSid: Sid, PhoneNumberSid: Sid, session: Session, twin: TwinDep
) -> Response:
    number = await service.get_phone_number(session, twin.caller, AccountSid, PhoneNumberSid)
    return read(request, twin, phone_number_json(number))


async def list_conversations(
    request: Request,
    AccountSid: Sid,
    session: Session,
    twin: TwinDep,
    page_size: PageSize = None,
    page_token: PageToken = None,
) -> Response:
    return await list_page(
        request,
        twin,
        session,
        AccountSid,
        page_size,
        page_token,
        lister=service.list_conversations,
        key="conversations",
        path="Conversations.json",
        item_json=conversation_json,
    )


async def list_participants(
    request: Request, AccountSid: Sid, ConversationSid: Sid, session: Session, twin: TwinDep
) -> Response:
    participants = await service.participants_of(session, twin.caller, AccountSid, ConversationSid)
    uri = f"{API}/Accounts/{AccountSid}/Conversations/{ConversationSid}/Participants.json"
    items = [participant_json(p) for p in participants]
    return read(request, twin, list_json("participants", items, uri, len(items), None))


def _bind(
    twin: Twin, caller: Callable[..., Awaitable[str | None]]
) -> Callable[..., Awaitable[None]]:
    """The router's one dependency: runs `caller` (authentication) and hands routes their twin."""

    async def bind_twin(request: Request, who: Annotated[str | None, Depends(caller)]) -> None:
        request.state.rest_twin = replace(twin, caller=who)

    return bind_twin


def create_rest_router(
    session_factory: async_sessionmaker[AsyncSession],
    *,
    settings: TwinSettings | None = None,
    caller: Callable[..., Awaitable[str | None]] = no_authentication,
    on_queued: service.MessageQueued | None = None,
    send_dependencies: Sequence[params.Depends] = (),
    route_class: type[APIRoute] = APIRoute,
) -> APIRouter:
    """Routes under `/2010-04-01/Accounts/{AccountSid}`; mount with `app.include_router(...)`.

    `send_dependencies` guard only the send route (a rate limit, a write scope); `route_class`
    wraps every route (an Idempotency-Key route class acts on the POST alone).
    """
    twin = Twin(session_factory, settings or get_twin_settings(), on_queued)
    router = APIRouter(
        prefix=f"{API}/Accounts/{{AccountSid}}",
        tags=["REST twin"],
        route_class=route_class,
        dependencies=[Depends(_bind(twin, caller))],
    )
    router.add_api_route(".json", fetch_account, methods=["GET"])
    router.add_api_route("/Messages.json", list_messages, methods=["GET"])
    router.add_api_route("/Messages/{MessageSid}.json", fetch_message, methods=["GET"])
    router.add_api_route(
        "/Messages.json",
        create_message,
        methods=["POST"],
        status_code=201,
        dependencies=[*send_dependencies, Depends(require_form)],
    )
    router.add_api_route(
        "/IncomingPhoneNumbers/{PhoneNumberSid}.json", fetch_phone_number, methods=["GET"]
    )
    router.add_api_route("/Conversations.json", list_conversations, methods=["GET"])
    router.add_api_route(
        "/Conversations/{ConversationSid}/Participants.json", list_participants, methods=["GET"]
    )
    return router


# Representations: Twilio's snake_case fields, ISO 8601 times, and a `uri` on every resource.


def list_json(
    key: str, items: list[dict[str, Any]], uri: str, page_size: int, next_token: str | None
) -> dict[str, Any]:
    next_uri = f"{uri}?PageSize={page_size}&PageToken={next_token}" if next_token else None
    return {key: items, "page_size": page_size, "uri": uri, "next_page_uri": next_uri}


def account_json(account: Account) -> dict[str, Any]:
    uri = f"{API}/Accounts/{account.sid}"
    return {
        "sid": account.sid,
        "friendly_name": account.friendly_name,
        "date_created": account.created_at.isoformat(),
        "uri": f"{uri}.json",
        "subresource_uris": {
            "messages": f"{uri}/Messages.json",
            "conversations": f"{uri}/Conversations.json",
        },
    }


def message_json(message: Message) -> dict[str, Any]:
    account_uri = f"{API}/Accounts/{message.account_sid}"
    return {
        "sid": message.sid,
        "account_sid": message.account_sid,
        "phone_number_sid": message.phone_number_sid,
        "from": message.from_number,
        "to": message.to_number,
        "body": message.body,
        "status": message.status,
        "direction": message.direction,
        "price": None if message.price is None else str(message.price),
        "price_unit": "USD",
        "date_created": message.created_at.isoformat(),
        "date_updated": message.updated_at.isoformat(),
        "uri": f"{account_uri}/Messages/{message.sid}.json",
        "phone_number_uri": f"{account_uri}/IncomingPhoneNumbers/{message.phone_number_sid}.json",
        **status_callback_json(message),
    }


def status_callback_json(message: Message) -> dict[str, Any]:
    """How the message's status callback is going; absent when it asked for none, as before."""
    if message.status_callback is None:
        return {}
    return {
        "status_callback_status": message.status_callback_status,
        "status_callback_error": message.status_callback_error,
    }


def phone_number_json(number: PhoneNumber) -> dict[str, Any]:
    return {
        "sid": number.sid,
        "account_sid": number.account_sid,
        "phone_number": number.phone_number,
        "friendly_name": number.friendly_name,
        "date_created": number.created_at.isoformat(),
        "uri": f"{API}/Accounts/{number.account_sid}/IncomingPhoneNumbers/{number.sid}.json",
    }


def conversation_json(conversation: Conversation) -> dict[str, Any]:
    uri = f"{API}/Accounts/{conversation.account_sid}/Conversations/{conversation.sid}"
    return {
        "sid": conversation.sid,
        "account_sid": conversation.account_sid,
        "friendly_name": conversation.friendly_name,
        "date_created": conversation.created_at.isoformat(),
        "links": {"participants": f"{uri}/Participants.json"},
    }


def participant_json(participant: Participant) -> dict[str, Any]:
    return {
        "sid": participant.sid,
        "conversation_sid": participant.conversation_sid,
        "address": participant.address,
        "date_created": participant.created_at.isoformat(),
    }
