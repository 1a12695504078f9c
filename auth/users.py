"""Who are the users? Rows in PostgreSQL holding an Argon2id hash, a server-assigned role and a display name.

Only the fields listed here are ever written: what a client sends can never set `role` (no mass assignment).
"""

from __future__ import annotations

import uuid

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auth.models import User
from auth.policy import ROLES
from error_handling.problems import Conflict

USERNAME_PATTERN = r"^[a-z0-9][a-z0-9_.-]{2,31}$"
USERNAME_TAKEN = "The username {username!r} is taken."


async def create_user(
    sessions: async_sessionmaker[AsyncSession], username: str, password_hash: str, role: str
) -> User:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; roles are {ROLES}")
    user = User(id=uuid.uuid4(), username=username, password_hash=password_hash, role=role)
    try:
        async with sessions.begin() as session:
            session.add(user)
    except IntegrityError:
        raise username_taken(username) from None
    return user


def username_taken(username: str) -> Conflict:
    return Conflict(USERNAME_TAKEN.format(username=username))


async def user_by_username(
    sessions: async_sessionmaker[AsyncSession], username: str
) -> User | None:
    async with sessions() as session:
        return await session.scalar(select(User).where(User.username == username))


async def user_by_id(sessions: async_sessionmaker[AsyncSession], user_id: uuid.UUID) -> User | None:
    async with sessions() as session:
        return await session.get(User, user_id)


async def store_password_hash(
    sessions: async_sessionmaker[AsyncSession], user_id: uuid.UUID, password_hash: str
) -> None:
    async with sessions.begin() as session:
        await session.execute(
            update(User).where(User.id == user_id).values(password_hash=password_hash)
        )


async def set_display_name(
    sessions: async_sessionmaker[AsyncSession], user_id: uuid.UUID, display_name: str
) -> User | None:
    async with sessions.begin() as session:
        user = await session.get(User, user_id)
        if user is not None:
            user.display_name = display_name
    return user
