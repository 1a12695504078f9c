"""What data do both twins serve? A mini Twilio: accounts, numbers, messages, conversations.

SIDs (`AC…`, `PN…`, `SM…`, `CH…`, `MB…`) are the primary keys, as in Twilio's public API.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from decimal import Decimal

from sqlalchemy import DateTime, ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

SID_LENGTH = 34


def new_sid(prefix: str) -> str:
    """Two letters and 32 hex digits, the shape of every Twilio identifier."""
    return prefix + secrets.token_hex(16)


class Base(DeclarativeBase):
    pass


class Account(Base):
    __tablename__ = "accounts"

    sid: Mapped[str] = mapped_column(String(SID_LENGTH), primary_key=True)
    friendly_name: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PhoneNumber(Base):
    __tablename__ = "phone_numbers"

    sid: Mapped[str] = mapped_column(String(SID_LENGTH), primary_key=True)
    account_sid: Mapped[str] = mapped_column(ForeignKey("accounts.sid"), index=True)
    phone_number: Mapped[str] = mapped_column(String(16), unique=True)
    friendly_name: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Message(Base):
    __tablename__ = "messages"
    # The list query is "this account's messages, newest first": one index serves it and its pages.
    __table_args__ = (Index("messages_by_account_newest", "account_sid", "created_at", "sid"),)

    sid: Mapped[str] = mapped_column(String(SID_LENGTH), primary_key=True)
    account_sid: Mapped[str] = mapped_column(ForeignKey("accounts.sid"))
    # The account's own number the message went out from (or came in on).
    phone_number_sid: Mapped[str] = mapped_column(ForeignKey("phone_numbers.sid"))
    from_number: Mapped[str] = mapped_column(String(16))
    to_number: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text)
    # queued → sending (its sender's metered slot came) → delivered; a worker moves it along.
    status: Mapped[str] = mapped_column(String(16))
    direction: Mapped[str] = mapped_column(String(16))
    price: Mapped[Decimal | None] = mapped_column(Numeric(10, 5))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Where the worker POSTs status changes (Twilio's StatusCallback); None: nobody is told.
    status_callback: Mapped[str | None] = mapped_column(Text, default=None)
    # That callback's delivery: retrying → delivered | failed, with the last error (callback_policy).
    status_callback_status: Mapped[str | None] = mapped_column(String(16), default=None)
    status_callback_error: Mapped[str | None] = mapped_column(Text, default=None)


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (Index("conversations_by_account_newest", "account_sid", "created_at", "sid"),)

    sid: Mapped[str] = mapped_column(String(SID_LENGTH), primary_key=True)
    account_sid: Mapped[str] = mapped_column(ForeignKey("accounts.sid"))
    friendly_name: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Participant(Base):
    __tablename__ = "participants"

    sid: Mapped[str] = mapped_column(String(SID_LENGTH), primary_key=True)
    conversation_sid: Mapped[str] = mapped_column(ForeignKey("conversations.sid"), index=True)
    address: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
