"""How do refresh tokens rotate safely? Each use swaps the token atomically; a second use of one revokes its family.

RFC 9700 §4.14.2: a replayed refresh token means one of two parties is an attacker, so both lose the session.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auth.errors import InvalidGrant
from auth.models import RefreshFamily, RefreshToken

TOKEN_PREFIX = "rt_"  # noqa: S105 - a prefix that lets secret scanners spot a leaked token
MAX_REFRESH_TOKEN_CHARS = 64

UNKNOWN = "The refresh token is not recognised."
EXPIRED = "The refresh token has expired."
SESSION_REVOKED = "The refresh token's session has been revoked."
REUSED = "The refresh token was already used; its whole session is now revoked."


def digest(token: str) -> str:
    """A fast hash is enough: the token has 256 random bits, so there is nothing to brute-force."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_refresh_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Rotation:
    user_id: uuid.UUID
    family_id: uuid.UUID
    scope: str
    refresh_token: str


class RefreshTokenReused(InvalidGrant):
    def __init__(self, family_id: uuid.UUID) -> None:
        super().__init__(REUSED)
        self.family_id = family_id


async def _add_token(session: AsyncSession, family_id: uuid.UUID, expires_at: datetime) -> str:
    token = new_refresh_token()
    await session.execute(
        insert(RefreshToken).values(
            token_hash=digest(token), family_id=family_id, expires_at=expires_at
        )
    )
    return token


async def start_family(
    sessions: async_sessionmaker[AsyncSession],
    user_id: uuid.UUID,
    scope: str,
    now: datetime,
    ttl: timedelta,
) -> Rotation:
    """A login opens a family (a session) holding its first refresh token."""
    family_id = uuid.uuid4()
    async with sessions.begin() as session:
        await session.execute(
            insert(RefreshFamily).values(id=family_id, user_id=user_id, scope=scope)
        )
        token = await _add_token(session, family_id, now + ttl)
    return Rotation(user_id, family_id, scope, token)


async def rotate(
    sessions: async_sessionmaker[AsyncSession], token: str, now: datetime, ttl: timedelta
) -> Rotation:
    """Exchange `token` for a new one in the same family, or raise InvalidGrant saying why not."""
    token_hash = digest(token)
    async with sessions.begin() as session:
        # The conditional UPDATE is the lock: of two concurrent uses, exactly one sees used_at NULL.
        claimed = (
            await session.execute(
                update(RefreshToken)
                .where(RefreshToken.token_hash == token_hash, RefreshToken.used_at.is_(None))
                .values(used_at=now)
                .returning(RefreshToken.family_id, RefreshToken.expires_at)
            )
        ).first()
        if claimed is None:
            family_id = await session.scalar(
                select(RefreshToken.family_id).where(RefreshToken.token_hash == token_hash)
            )
            if family_id is None:
                raise InvalidGrant(UNKNOWN)
            await revoke_family(session, family_id, now, reason="reuse")
            reused = RefreshTokenReused(family_id)
        else:
            family = await session.get(RefreshFamily, claimed.family_id)
            assert family is not None  # the foreign key guarantees it
            if family.revoked_at is not None:
                raise InvalidGrant(SESSION_REVOKED)
            if claimed.expires_at <= now:
                raise InvalidGrant(EXPIRED)
            new_token = await _add_token(session, family.id, now + ttl)
            return Rotation(family.user_id, family.id, family.scope, new_token)
    # Raised after the block so the revocation above is committed, not rolled back.
    raise reused


async def revoke_family(
    session: AsyncSession, family_id: uuid.UUID, now: datetime, *, reason: str
) -> None:
    await session.execute(
        update(RefreshFamily)
        .where(RefreshFamily.id == family_id, RefreshFamily.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
    )
