"""How do machines authenticate? Twilio-style API keys: a public SID plus a secret shown once, stored as a hash.

A 256-bit random secret needs no slow hash: HMAC-SHA256 with a server-side pepper, compared in constant time.
Every key belongs to one account (`owner`), and reads and revocations only ever see that account's keys.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ARRAY, DateTime, LargeBinary, String, Text, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

SID_PREFIX = "SK"
SID_PATTERN = r"^SK[0-9a-f]{32}$"
# Writing last_used_at on every request turns each read into a write; once a minute is enough to audit.
LAST_USED_RESOLUTION = timedelta(seconds=60)


class Base(DeclarativeBase):
    pass


class ApiKey(Base):
    __tablename__ = "api_keys"

    sid: Mapped[str] = mapped_column(String(34), primary_key=True)
    # The account the key acts for (Twilio: the Account SID); scopes say what, owner says whose.
    owner: Mapped[str] = mapped_column(String(64), index=True)
    friendly_name: Mapped[str] = mapped_column(String(64))
    secret_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    scopes: Mapped[list[str]] = mapped_column(ARRAY(Text))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class NewApiKey:
    """The only moment the secret exists in clear: hand it to the caller, then forget it."""

    key: ApiKey
    secret: str


@dataclass(frozen=True)
class Verdict:
    """Who the caller is (`key`), or why not (`reason`)."""

    key: ApiKey | None
    reason: str | None


WRONG_CREDENTIALS = "The API key SID or secret is wrong."
REVOKED = "This API key was revoked."


class ApiKeyStore:
    def __init__(self, engine: AsyncEngine, pepper: str) -> None:
        self._engine = engine
        self._pepper = pepper.encode("utf-8")
        # Unknown SIDs are compared against this, so a miss costs the same hashing as a hit.
        self._decoy = self._hash("decoy-" + secrets.token_urlsafe(32))

    def _hash(self, secret: str) -> bytes:
        return hmac.new(self._pepper, secret.encode("utf-8"), hashlib.sha256).digest()

    async def create(self, friendly_name: str, scopes: list[str], *, owner: str) -> NewApiKey:
        secret = secrets.token_urlsafe(32)  # 256 bits from the OS CSPRNG
        key = ApiKey(
            sid=SID_PREFIX + uuid.uuid4().hex,
            owner=owner,
            friendly_name=friendly_name,
            secret_hash=self._hash(secret),
            scopes=sorted(set(scopes)),
        )
        async with AsyncSession(self._engine, expire_on_commit=False) as session:
            session.add(key)
            await session.commit()
            await session.refresh(key)
        return NewApiKey(key=key, secret=secret)

    async def authenticate(self, sid: str, secret: str) -> Verdict:
        """Check the secret first: only its holder learns that a key exists or was revoked."""
        async with AsyncSession(self._engine, expire_on_commit=False) as session:
            # A malformed SID (say, with a NUL byte PostgreSQL would refuse) is just an unknown one.
            key = await session.get(ApiKey, sid) if re.fullmatch(SID_PATTERN, sid) else None
            stored = key.secret_hash if key is not None else self._decoy
            if not hmac.compare_digest(self._hash(secret), stored) or key is None:
                return Verdict(None, WRONG_CREDENTIALS)
            if key.revoked_at is not None:
                return Verdict(None, REVOKED)
            last_used = key.last_used_at
            if last_used is None or datetime.now(UTC) - last_used > LAST_USED_RESOLUTION:
                # The WHERE repeats the test, so concurrent requests write at most once per period.
                await session.execute(
                    update(ApiKey)
                    .where(ApiKey.sid == sid)
                    .where(
                        ApiKey.last_used_at.is_(None)
                        | (ApiKey.last_used_at < func.now() - LAST_USED_RESOLUTION)
                    )
                    .values(last_used_at=func.now())
                )
                await session.commit()
            return Verdict(key, None)

    async def revoke(self, sid: str, *, owner: str) -> ApiKey | None:
        """Revoke `owner`'s key `sid`; another account's key is as absent as an unknown one."""
        async with AsyncSession(self._engine, expire_on_commit=False) as session:
            key = await session.get(ApiKey, sid)
            if key is None or key.owner != owner:
                return None
            if key.revoked_at is None:
                key.revoked_at = datetime.now(UTC)
                await session.commit()
            return key

    async def page(self, owner: str, limit: int, offset: int) -> list[ApiKey]:
        async with AsyncSession(self._engine) as session:
            rows = await session.scalars(
                select(ApiKey)
                .where(ApiKey.owner == owner)
                .order_by(ApiKey.created_at, ApiKey.sid)
                .limit(limit)
                .offset(offset)
            )
            return list(rows)
