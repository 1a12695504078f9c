"""How are passwords stored? Argon2id at OWASP's parameters, rehashed on login when they change.

Unknown usernames are checked against a dummy hash, so both failures cost the same time and read the same.
"""

from __future__ import annotations

import asyncio
import functools
import secrets

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

# OWASP Authentication Cheat Sheet: no MFA here, so at least 15 characters; allow at least 64.
# The upper bound keeps a 1 MB "password" from ever reaching the hasher.
MIN_PASSWORD_CHARS = 15
MAX_PASSWORD_CHARS = 128


def _password_hash(memory_kib: int, time_cost: int, parallelism: int) -> PasswordHash:
    hasher = Argon2Hasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)
    return PasswordHash((hasher,))


@functools.cache
def _dummy_hash(memory_kib: int, time_cost: int, parallelism: int) -> str:
    """One per process and parameter set: it must cost what a real hash costs, not be secret."""
    return _password_hash(memory_kib, time_cost, parallelism).hash(secrets.token_urlsafe(24))


class Passwords:
    """Hash and check passwords off the event loop (Argon2 is tens of milliseconds of CPU).

    >>> passwords = Passwords(memory_kib=19456, time_cost=2, parallelism=1)
    >>> ok, new_hash = await passwords.verify("a long passphrase", stored_hash)
    """

    def __init__(self, *, memory_kib: int, time_cost: int, parallelism: int) -> None:
        self._hash = _password_hash(memory_kib, time_cost, parallelism)
        self._dummy_hash = _dummy_hash(memory_kib, time_cost, parallelism)

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hash.hash, password)

    async def verify(self, password: str, stored_hash: str | None) -> tuple[bool, str | None]:
        """(matches, new hash if the parameters changed); `None` means "no such user"."""
        if stored_hash is None:
            # Same work, same answer as a wrong password: timing reveals no usernames.
            await asyncio.to_thread(self._hash.verify, password, self._dummy_hash)
            return False, None
        return await asyncio.to_thread(self._hash.verify_and_update, password, stored_hash)
