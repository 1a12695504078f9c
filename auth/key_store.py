"""How do keys rotate? A new key signs from now on; the old one verifies until its last token expires, then goes.

Keys are kept in PostgreSQL so every instance shares them; private halves are stored encrypted (PKCS#8).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives import serialization
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auth.keys import Key, KeyRing, PrivateKey, new_key
from auth.models import SigningKey


def _encrypt(private_key: PrivateKey, passphrase: str) -> bytes:
    return private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase.encode()),
    )


def _decrypt(row: SigningKey, passphrase: str) -> Key:
    private_key = serialization.load_pem_private_key(row.private_pem, passphrase.encode())
    assert isinstance(private_key, PrivateKey)
    return Key(
        kid=row.kid,
        algorithm=row.algorithm,
        private_key=private_key,
        created_at=row.created_at.timestamp(),
        retire_at=row.retire_at.timestamp() if row.retire_at else None,
    )


async def _insert(session: AsyncSession, key: Key, passphrase: str) -> None:
    session.add(
        SigningKey(
            kid=key.kid,
            algorithm=key.algorithm,
            private_pem=_encrypt(key.private_key, passphrase),
            created_at=datetime.fromtimestamp(key.created_at, UTC),
        )
    )


async def load_key_ring(
    sessions: async_sessionmaker[AsyncSession], passphrase: str, algorithm: str, now: datetime
) -> KeyRing:
    """Read the ring, making the first signing key if there is none yet (first start)."""
    async with sessions.begin() as session:
        # Retired keys are deleted, not just ignored: nothing they signed is still valid.
        await session.execute(delete(SigningKey).where(SigningKey.retire_at <= now))
        rows = (await session.scalars(select(SigningKey).with_for_update())).all()
        if not any(row.retire_at is None for row in rows):
            await _insert(session, new_key(algorithm, now.timestamp()), passphrase)
            rows = (await session.scalars(select(SigningKey))).all()
    keys = sorted((_decrypt(row, passphrase) for row in rows), key=lambda k: -k.created_at)
    return KeyRing(tuple(keys))


async def rotate_keys(
    sessions: async_sessionmaker[AsyncSession],
    passphrase: str,
    algorithm: str,
    now: datetime,
    overlap: timedelta,
) -> KeyRing:
    """Add a new signing key; the current one keeps verifying for `overlap` (≥ the access-token TTL)."""
    async with sessions.begin() as session:
        await session.execute(
            update(SigningKey).where(SigningKey.retire_at.is_(None)).values(retire_at=now + overlap)
        )
        await _insert(session, new_key(algorithm, now.timestamp()), passphrase)
    return await load_key_ring(sessions, passphrase, algorithm, now)
