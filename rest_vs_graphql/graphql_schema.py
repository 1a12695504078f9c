"""The GraphQL twin's types: the same facts as the REST twin, with relations clients can follow.

Resolvers call the same service functions as the REST routes; relations go through loaders.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Generic, TypeVar

import strawberry
from strawberry.types import Info
from strawberry.types.nodes import SelectedField

from error_handling.plain_text import multi_line, single_line
from error_handling.problems import ValidationFailed
from rest_vs_graphql import models, service
from rest_vs_graphql.graphql_context import TwinContext
from rest_vs_graphql.pagination import Page, Position, encode_token

Node = TypeVar("Node")
Row = TypeVar("Row", models.Message, models.Conversation)
TwinInfo = Info[TwinContext, None]


FREE_TEXT = {"body"}  # arguments that may break lines; every other text is a single line


def _refuse_control_characters(name: str, value: object) -> None:
    if isinstance(value, str):
        try:
            (multi_line if name in FREE_TEXT else single_line)(value)
        except ValueError as error:
            raise ValidationFailed(f"{name} {error}") from None
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            _refuse_control_characters(field.name, getattr(value, field.name))


def plain_arguments(**arguments: object) -> None:
    """The GraphQL door of the REST twin's `PlainText`: a control character in an argument is a 422."""
    for name, value in arguments.items():
        _refuse_control_characters(name, value)


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Edge(Generic[Node]):
    node: Node
    position: strawberry.Private[Position]

    @strawberry.field
    def cursor(self) -> str:
        """Encoded only when asked for: a list screen that never pages back skips 50 encodings."""
        return encode_token(self.position)


@strawberry.type
class Connection(Generic[Node]):
    """A Relay connection: `first`/`after` in, edges with cursors and `pageInfo` out."""

    edges: list[Edge[Node]]
    page_info: PageInfo


def connection(page: Page[Row], nodes: list[Node]) -> Connection[Node]:
    positions = [Position(row.created_at, row.sid) for row in page.items]
    return Connection(
        edges=[Edge(node=n, position=p) for n, p in zip(nodes, positions, strict=True)],
        page_info=PageInfo(has_next_page=page.next_token is not None, end_cursor=page.next_token),
    )


@strawberry.type
class PhoneNumber:
    sid: str
    phone_number: str
    friendly_name: str
    date_created: datetime

    @classmethod
    def of(cls, row: models.PhoneNumber) -> PhoneNumber:
        return cls(
            sid=row.sid,
            phone_number=row.phone_number,
            friendly_name=row.friendly_name,
            date_created=row.created_at,
        )


@strawberry.type
class Participant:
    sid: str
    address: str
    date_created: datetime


@strawberry.type
class Conversation:
    sid: str
    friendly_name: str
    date_created: datetime

    @strawberry.field
    async def participants(self, info: TwinInfo) -> list[Participant]:
        rows = await info.context.loaders.participants.load(self.sid)
        return [Participant(sid=p.sid, address=p.address, date_created=p.created_at) for p in rows]


@strawberry.type
class Message:
    sid: str
    from_: str = strawberry.field(name="from")
    to: str
    body: str
    status: str
    direction: str
    price: str | None
    date_created: datetime
    date_updated: datetime
    # The status callback's delivery (retrying, delivered, failed) and its last error, if any.
    status_callback_status: str | None
    status_callback_error: str | None
    account_sid: strawberry.Private[str]
    phone_number_sid: strawberry.Private[str]

    @classmethod
    def of(cls, row: models.Message) -> Message:
        return cls(
            sid=row.sid,
            from_=row.from_number,
            to=row.to_number,
            body=row.body,
            status=row.status,
            direction=row.direction,
            price=None if row.price is None else str(row.price),
            date_created=row.created_at,
            date_updated=row.updated_at,
            status_callback_status=row.status_callback_status,
            status_callback_error=row.status_callback_error,
            account_sid=row.account_sid,
            phone_number_sid=row.phone_number_sid,
        )

    @strawberry.field
    async def phone_number(self, info: TwinInfo) -> PhoneNumber:
        row = await info.context.loaders.phone_number.load(self.phone_number_sid)
        assert row is not None, "a foreign key guarantees the number exists"
        return PhoneNumber.of(row)

    @strawberry.field
    async def account(self, info: TwinInfo) -> Account:
        row = await info.context.loaders.account.load(self.account_sid)
        assert row is not None, "a foreign key guarantees the account exists"
        return Account.of(row)


@strawberry.type
class Account:
    sid: str
    friendly_name: str
    date_created: datetime

    @classmethod
    def of(cls, row: models.Account) -> Account:
        return cls(sid=row.sid, friendly_name=row.friendly_name, date_created=row.created_at)

    @classmethod
    def reference(cls, sid: str) -> Account:
        """An account known by its sid alone, for a query that reads none of its columns.

        `pages_prove_it_exists` decides when; the placeholders below are then never selected.
        """
        return cls(sid=sid, friendly_name="", date_created=datetime.min)

    @strawberry.field
    async def messages(
        self, info: TwinInfo, first: int | None = None, after: str | None = None
    ) -> Connection[Message]:
        plain_arguments(after=after)
        context, sid = info.context, self.sid
        page = await context.db.run(
            lambda session: service.list_messages(
                session,
                context.caller,
                sid,
                page_size=first or context.settings.default_page_size,
                page_token=after,
                max_page_size=context.settings.max_page_size,
            )
        )
        return connection(page, [Message.of(row) for row in page.items])

    @strawberry.field
    async def conversations(
        self, info: TwinInfo, first: int | None = None, after: str | None = None
    ) -> Connection[Conversation]:
        plain_arguments(after=after)
        context, sid = info.context, self.sid
        page = await context.db.run(
            lambda session: service.list_conversations(
                session,
                context.caller,
                sid,
                page_size=first or context.settings.default_page_size,
                page_token=after,
                max_page_size=context.settings.max_page_size,
            )
        )
        nodes = [
            Conversation(sid=c.sid, friendly_name=c.friendly_name, date_created=c.created_at)
            for c in page.items
        ]
        return connection(page, nodes)

    @strawberry.field
    async def phone_numbers(self, info: TwinInfo) -> list[PhoneNumber]:
        context, sid = info.context, self.sid
        rows = await context.db.run(
            lambda session: service.phone_numbers_of_account(session, context.caller, sid)
        )
        return [PhoneNumber.of(row) for row in rows]


# Pages that check their account themselves: a row proves it exists (a foreign key) and an empty
# first page looks it up (`service._page`), answering "No account … is visible to you." as REST does.
SELF_CHECKING_PAGES = frozenset({"messages", "conversations"})


def pages_prove_it_exists(info: TwinInfo) -> bool:
    """True when a query asks an account for nothing but first pages: its row need not be read.

    The list screen then costs one statement, as REST's does, instead of the account's and its page's.
    """
    selections = info.selected_fields[0].selections
    return bool(selections) and all(
        isinstance(field, SelectedField)
        and field.name in SELF_CHECKING_PAGES
        and field.arguments.get("after") is None
        and not field.directives
        for field in selections
    )


@strawberry.type
class Query:
    @strawberry.field
    async def account(self, info: TwinInfo, sid: str) -> Account | None:
        plain_arguments(sid=sid)
        if pages_prove_it_exists(info):
            return Account.reference(sid)
        context = info.context
        row = await context.db.run(
            lambda session: service.get_account(session, context.caller, sid)
        )
        return Account.of(row)

    @strawberry.field
    async def message(self, info: TwinInfo, account_sid: str, sid: str) -> Message | None:
        plain_arguments(account_sid=account_sid, sid=sid)
        context = info.context
        row = await context.db.run(
            lambda session: service.get_message(session, context.caller, account_sid, sid)
        )
        return Message.of(row)


@strawberry.input
class CreateMessageInput:
    account_sid: str
    from_: str = strawberry.field(name="from")
    to: str
    body: str
    status_callback: str | None = None


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def create_message(self, info: TwinInfo, input: CreateMessageInput) -> Message | None:
        """Nullable on purpose: a refused send (429, 422) nulls only its own field, so in a document
        of aliased sends each one reports its own result or error, and the ones that committed show.
        """
        plain_arguments(input=input)
        context = info.context
        new = service.NewMessage(
            from_number=input.from_,
            to_number=input.to,
            body=input.body,
            status_callback=input.status_callback,
        )
        row = await context.db.run(
            lambda session: service.create_message(
                session, context.caller, input.account_sid, new, on_queued=context.on_queued
            )
        )
        return Message.of(row)
