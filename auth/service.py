"""The auth flows in one place: log in, refresh, authenticate a request, log out, rotate keys.

Routes stay thin; everything a route does is a method here, so the demo and tests call the same code.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import redis.asyncio
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from auth import refresh_tokens, users
from auth.access_tokens import InvalidAccessToken, issue_access_token, verify_access_token
from auth.errors import InvalidGrant, invalid_token
from auth.key_store import load_key_ring, rotate_keys
from auth.keys import KeyRing
from auth.login_throttle import LoginThrottle
from auth.models import User
from auth.passwords import Passwords
from auth.policy import ROLE_SCOPES, format_scope, grant_scopes
from auth.revocation import Denylist
from auth.settings import AuthSettings
from error_handling.problems import UpstreamUnavailable

BAD_CREDENTIALS = "The username or password is incorrect."
REVOKED = "The access token has been revoked."
USER_GONE = "The refresh token's user no longer exists."
REVOCATION_UNCHECKED = "Token revocation cannot be checked right now; retry shortly."


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    scope: str


@dataclass(frozen=True)
class Principal:
    """Who is calling, and what they may do: read from a verified token, never from the request body."""

    user_id: uuid.UUID
    scopes: frozenset[str]
    token_id: str
    session_id: str
    expires_at: int


class AuthService:
    def __init__(
        self,
        settings: AuthSettings,
        redis: redis.asyncio.Redis,
        engine: AsyncEngine,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.sessions = async_sessionmaker(engine, expire_on_commit=False)
        self.clock = clock
        self.passwords = Passwords(
            memory_kib=settings.argon2_memory_kib,
            time_cost=settings.argon2_time_cost,
            parallelism=settings.argon2_parallelism,
        )
        self.throttle = LoginThrottle(
            redis,
            prefix=settings.redis_prefix,
            per_username=(
                settings.login_per_username_capacity,
                settings.login_per_username_refill_per_s,
            ),
            per_ip=(settings.login_per_ip_capacity, settings.login_per_ip_refill_per_s),
            sign_ups_per_ip=(
                settings.register_per_ip_capacity,
                settings.register_per_ip_refill_per_s,
            ),
        )
        self.denylist = Denylist(redis, settings.redis_prefix)
        self._ring: KeyRing | None = None
        self._ring_loaded_at = 0.0

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    async def key_ring(self) -> KeyRing:
        """The cached ring, re-read now and then so a rotation made by another instance is seen."""
        if self._ring is None or self.clock() - self._ring_loaded_at > self.settings.key_reload_s:
            self._ring = await load_key_ring(
                self.sessions,
                self.settings.key_passphrase,
                self.settings.signing_algorithm,
                self._now(),
            )
            self._ring_loaded_at = self.clock()
        return self._ring

    async def rotate_keys(self) -> KeyRing:
        # Old tokens live at most one TTL (plus leeway) after the switch; then their key retires.
        overlap = timedelta(seconds=self.settings.access_token_ttl_s + self.settings.leeway_s)
        self._ring = await rotate_keys(
            self.sessions,
            self.settings.key_passphrase,
            self.settings.signing_algorithm,
            self._now(),
            overlap,
        )
        self._ring_loaded_at = self.clock()
        return self._ring

    async def register(
        self, username: str, password: str, role: str = "user", *, client_ip: str | None = None
    ) -> User:
        """Create a user; a client's sign-up (`client_ip` given) is throttled first.

        A taken name is refused before Argon2 runs: the 409 says so anyway, so checking first leaks
        nothing, and a probe costs the server a query, not a hash. The constraint still decides races.
        """
        if client_ip is not None:
            await self.throttle.check_sign_up(client_ip)
        if await users.user_by_username(self.sessions, username) is not None:
            raise users.username_taken(username)
        return await users.create_user(
            self.sessions, username, await self.passwords.hash(password), role
        )

    async def login(
        self, username: str, password: str, requested_scope: str | None, client_ip: str
    ) -> TokenPair:
        await self.throttle.check(username, client_ip)
        user = await users.user_by_username(self.sessions, username)
        matches, new_hash = await self.passwords.verify(
            password, user.password_hash if user else None
        )
        if user is None or not matches:
            raise InvalidGrant(BAD_CREDENTIALS)
        if new_hash is not None:  # the hashing parameters changed since this hash was made
            await users.store_password_hash(self.sessions, user.id, new_hash)
        scope = format_scope(grant_scopes(user.role, requested_scope))
        ttl = timedelta(seconds=self.settings.refresh_token_ttl_s)
        family = await refresh_tokens.start_family(self.sessions, user.id, scope, self._now(), ttl)
        return await self._pair(family)

    async def refresh(self, refresh_token: str) -> TokenPair:
        ttl = timedelta(seconds=self.settings.refresh_token_ttl_s)
        try:
            rotation = await refresh_tokens.rotate(self.sessions, refresh_token, self._now(), ttl)
        except refresh_tokens.RefreshTokenReused as reuse:
            # The family is revoked in PostgreSQL; its access tokens still in flight die here.
            await self.denylist.revoke_session(str(reuse.family_id), self._access_lifetime_s())
            raise
        user = await users.user_by_id(self.sessions, rotation.user_id)
        if user is None:
            raise InvalidGrant(USER_GONE)
        # The role may have shrunk since login: the policy of today caps the scope of the session.
        scope = frozenset(rotation.scope.split()) & ROLE_SCOPES.get(user.role, frozenset())
        return await self._pair(
            refresh_tokens.Rotation(
                user.id, rotation.family_id, format_scope(scope), rotation.refresh_token
            )
        )

    async def authenticate(self, token: str) -> Principal:
        try:
            claims = verify_access_token(
                token,
                await self.key_ring(),
                issuer=self.settings.issuer,
                audience=self.settings.audience,
                leeway_s=self.settings.leeway_s,
                now=self.clock(),
            )
        except InvalidAccessToken as error:
            raise invalid_token(str(error)) from None
        try:
            revoked = await self.denylist.is_revoked(claims.token_id, claims.session_id)
        except (redis.RedisError, OSError) as error:
            # Fail closed: accepting unchecked tokens would let a logged-out token through.
            raise UpstreamUnavailable(REVOCATION_UNCHECKED, headers={"Retry-After": "1"}) from error
        if revoked:
            raise invalid_token(REVOKED)
        try:
            user_id = uuid.UUID(claims.subject)
        except ValueError:
            raise invalid_token("The access token's subject is not a user id.") from None
        return Principal(
            user_id, claims.scopes, claims.token_id, claims.session_id, claims.expires_at
        )

    async def logout(self, principal: Principal) -> None:
        """Denylist this access token until it expires, and end its session (the refresh family)."""
        remaining = principal.expires_at - int(self.clock()) + self.settings.leeway_s
        await self.denylist.revoke_token(principal.token_id, remaining)
        await self.denylist.revoke_session(principal.session_id, self._access_lifetime_s())
        async with self.sessions.begin() as session:
            await refresh_tokens.revoke_family(
                session, uuid.UUID(principal.session_id), self._now(), reason="logout"
            )

    def _access_lifetime_s(self) -> int:
        return self.settings.access_token_ttl_s + self.settings.leeway_s

    async def _pair(self, rotation: refresh_tokens.Rotation) -> TokenPair:
        access = issue_access_token(
            await self.key_ring(),
            issuer=self.settings.issuer,
            audience=self.settings.audience,
            subject=str(rotation.user_id),
            scope=rotation.scope,
            session_id=str(rotation.family_id),
            now=int(self.clock()),
            ttl_s=self.settings.access_token_ttl_s,
        )
        return TokenPair(
            access, rotation.refresh_token, self.settings.access_token_ttl_s, rotation.scope
        )
