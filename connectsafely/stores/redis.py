"""`RedisStore`: limits state and the send ledger in Redis, shared by every process.

Every `Store` method is one round trip: a Lua script run with ``EVALSHA`` for each
update (the scripts: `_redis_scripts`), and one plain read (``GET``/``MGET``/``EXISTS``)
for each query (a script, `PEEK`, for the ledger's), so processes never interleave inside
a step. A send's happy path is three round trips: ``peek``, ``claim`` and ``deliver``.
How a step reaches the server (loading the scripts, asyncio only, errors as
`StoreError`): `_redis_link`.

Keys are ``{namespace}:{kind}:{key}`` with ``kind`` one of ``pace`` (GCRA theoretical
arrival time), ``pause``, ``block``, ``count``, ``send`` (a ledger entry, a hash), plus
one marker ``{namespace}:live`` that exists while any pause or block may be in force
(`quiet`). Numbers are stored as text (``repr`` of the float, ``%.17g`` in Lua), so
every value round-trips exactly.

asyncio only: redis-py's client is built on asyncio. Under Trio every method raises
`StoreError`, as `AioHttpClient` refuses Trio with a `ConnectSafelyError`.

Install with ``pip install 'connectsafely[redis]'``; nothing here imports ``redis``
until a store is made.
"""

from __future__ import annotations

import math
import secrets
import time
from typing import TYPE_CHECKING

from .._errors import StoreError
from ._base import (
    COUNT_KEPT,
    DEFAULT_LEASE,
    DEFAULT_TTL,
    Claim,
    ClaimStatus,
    EventStatus,
    Store,
    check_seconds,
)
from ._redis_link import RedisLink, open_client, text
from ._redis_scripts import (
    CLAIM,
    CLAIM_EVENT,
    COUNT,
    DELIVER,
    DOUBT,
    FINISH_EVENT,
    PAUSE,
    PEEK,
    RELEASE,
    RELEASE_EVENT,
    RENEW,
    RENEW_EVENT,
    RESERVE,
    SET_BLOCK,
    UNCOUNT,
)

if TYPE_CHECKING:
    import redis.asyncio

__all__ = ["RedisStore"]

DEFAULT_CONNECT_TIMEOUT = 5.0
"""Seconds `RedisStore.from_url` waits for a connection to Redis."""

DEFAULT_TIMEOUT = 5.0
"""Seconds `RedisStore.from_url` waits for a reply on an open connection."""

_LINGER = 60.0
"""Seconds a pause, a block (and the ``live`` marker) outlive their end in Redis, to
cover clock differences between machines; a pause that ended changes nothing."""

_STATUSES = {status.value: status for status in ClaimStatus}


def _ms(seconds: float) -> int:
    """Whole milliseconds for PEXPIRE: at least 1, at most ten years."""
    return max(1, math.ceil(min(seconds, 10 * 365 * 24 * 3600.0) * 1000))


class RedisStore(Store):
    """State in Redis: one budget of limits and one send ledger for every process that
    reaches the server (many machines).

    Each method is one atomic round trip (a Lua script, or one read). Delivered ledger
    entries expire `ttl` seconds after delivery; a pending claim carries its lease in
    its value, so a claim whose process died is seen as in doubt, never silently lost.
    A server that cannot be reached (or answers too slowly) makes the call raise
    `StoreError`, naming the server by address, never by password.

    asyncio only: under Trio every method raises `StoreError`.

    Args:
        client: A ``redis.asyncio.Redis`` client. The store uses it but does not close
            it. Configure its timeouts yourself, and no retries: a retried script
            (after a lost reply) could run twice. `from_url` does both for you.
        namespace: Put before every key, so several applications can share a server.
        lease: Seconds a send's claim lives without renewal (default 15).
        ttl: Seconds delivered ledger entries are kept (default 30 days).

    Raises:
        ImportError: ``redis`` is not installed (``pip install 'connectsafely[redis]'``).

    Example:
        >>> from connectsafely.stores import RedisStore
        >>> store = RedisStore.from_url("redis://127.0.0.1:6379/0", namespace="acme")
        >>> store
        RedisStore(127.0.0.1:6379/0, namespace='acme')
    """

    def __init__(
        self,
        client: redis.asyncio.Redis,
        *,
        namespace: str = "connectsafely",
        lease: float = DEFAULT_LEASE,
        ttl: float = DEFAULT_TTL,
    ) -> None:
        super().__init__(lease=lease, ttl=ttl)
        link = RedisLink(client)  # ImportError without redis, TypeError for another client
        if not isinstance(namespace, str) or not namespace:
            raise ValueError("namespace must be a non-empty string.")
        self.namespace = namespace
        self._client = client  # also the link's; kept here for tests and benchmarks
        self._link = link
        self._owns_client = False
        self._quiet = False  # nothing known until the first refresh
        self._live = f"{namespace}:live"
        self._lease_ms = _ms(self.ttl + self.lease)
        self._ttl_ms = _ms(self.ttl)
        self._linger_ms = _ms(_LINGER)
        self._count_ms = _ms(COUNT_KEPT)  # longer than a week: the longest window
        register = link.register
        self._claim = register(CLAIM)
        self._peek = register(PEEK)
        self._renew = register(RENEW)
        self._deliver = register(DELIVER)
        self._release = register(RELEASE)
        self._doubt = register(DOUBT)
        self._reserve = register(RESERVE)
        self._pause = register(PAUSE)
        self._set_block = register(SET_BLOCK)
        self._count = register(COUNT)
        self._uncount = register(UNCOUNT)
        self._claim_event = register(CLAIM_EVENT)
        self._renew_event = register(RENEW_EVENT)
        self._finish_event = register(FINISH_EVENT)
        self._release_event = register(RELEASE_EVENT)

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        namespace: str = "connectsafely",
        lease: float = DEFAULT_LEASE,
        ttl: float = DEFAULT_TTL,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> RedisStore:
        """A store on its own client for ``url`` (``redis://``, ``rediss://``, ``unix://``).

        The store owns that client: `aclose` closes it (as does an `AsyncClient` given
        the URL as ``store=``). Connections are made on first use.

        Args:
            url: The server, e.g. ``redis://:password@10.0.0.5:6379/0``. The password
                never appears in the store's repr or errors.
            namespace: Put before every key.
            lease: Seconds a send's claim lives without renewal (default 15).
            ttl: Seconds delivered ledger entries are kept (default 30 days).
            connect_timeout: Seconds to wait for a connection (default 5).
            timeout: Seconds to wait for a reply (default 5): a stopped server fails
                the call with `StoreError` instead of hanging it.
        """
        connect_timeout = check_seconds(connect_timeout, "connect_timeout")
        timeout = check_seconds(timeout, "timeout")
        client = open_client(url, connect_timeout=connect_timeout, timeout=timeout)
        store = cls(client, namespace=namespace, lease=lease, ttl=ttl)
        store._owns_client = True
        return store

    # -- keys -------------------------------------------------------------------------------

    def _key(self, kind: str, key: str) -> str:
        return f"{self.namespace}:{kind}:{key}"

    # -- limits -----------------------------------------------------------------------------

    async def reserve(self, bucket: str, interval: float, tolerance: float, now: float) -> float:
        """See `Store.reserve`."""
        slot = await self._link.run(
            self._reserve,
            (self._key("pace", bucket),),
            (repr(float(interval)), repr(float(tolerance)), repr(float(now)), self._linger_ms),
        )
        return self._link.number(slot)

    async def pause(self, scope: str, until: float) -> bool:
        """See `Store.pause`."""
        self._quiet = False
        keep = _ms(max(until - time.time(), 0.0) + _LINGER)
        started = await self._link.run(
            self._pause, (self._key("pause", scope), self._live), (repr(float(until)), keep)
        )
        return bool(started)

    async def paused_until(self, scopes: tuple[str, ...]) -> float:
        """See `Store.paused_until`."""
        if not scopes:
            return -math.inf
        values = await self._link.mget([self._key("pause", scope) for scope in scopes])
        return max((self._link.number(v) for v in values if v is not None), default=-math.inf)

    async def set_block(self, scope: str, until: float, action: str | None) -> None:
        """See `Store.set_block`."""
        self._quiet = False
        text = repr(float(until))
        value = text if action is None else f"{text}\n{action}"
        keep = _ms(max(until - time.time(), 0.0) + _LINGER)
        await self._link.run(
            self._set_block, (self._key("block", scope), self._live), (text, value, keep)
        )

    async def blocked(self, scope: str) -> tuple[float, str | None] | None:
        """See `Store.blocked`."""
        value = await self._link.get(self._key("block", scope))
        if value is None:
            return None
        until, newline, action = text(value).partition("\n")
        return self._link.number(until), (action if newline else None)

    async def count(self, counter: str, cap: int) -> bool:
        """See `Store.count`."""
        counted = await self._link.run(
            self._count, (self._key("count", counter),), (int(cap), self._count_ms)
        )
        return bool(counted)

    async def uncount(self, counter: str) -> None:
        """See `Store.uncount`."""
        await self._link.run(self._uncount, (self._key("count", counter),), ())

    @property
    def quiet(self) -> bool:
        """See `Store.quiet`: as of the last `refresh` (or a pause or block set here)."""
        return self._quiet

    async def refresh(self) -> None:
        """One round trip: is any pause or block of this namespace still in force?"""
        live = await self._link.exists(self._live)
        self._quiet = not live

    # -- the send ledger --------------------------------------------------------------------

    async def claim(self, key: str, digest: str, now: float) -> Claim:
        """See `Store.claim`."""
        token = secrets.token_hex(8)
        now = float(now)
        lease_until = now + self.lease
        reply = await self._link.run(
            self._claim,
            (self._key("send", key),),
            (digest, repr(now), repr(lease_until), token, self._lease_ms),
        )
        claim = self._answer(reply, "a claim")
        if claim.status is ClaimStatus.NEW or claim.status is ClaimStatus.IN_DOUBT:
            return Claim(
                claim.status, token=token, started_at=claim.started_at, lease_until=lease_until
            )
        return claim

    async def peek(self, key: str, digest: str, now: float) -> Claim:
        """See `Store.peek`."""
        reply = await self._link.run(
            self._peek, (self._key("send", key),), (digest, repr(float(now)))
        )
        return self._answer(reply, "a peek")

    def _answer(self, reply: object, what: str) -> Claim:
        """A `Claim` (without a token) from CLAIM's or PEEK's reply."""
        status = None
        if isinstance(reply, (list, tuple)) and reply:
            try:
                status = _STATUSES.get(text(reply[0]))
            except UnicodeDecodeError:
                status = None
        if status is None or not isinstance(reply, (list, tuple)):
            raise StoreError(f"RedisStore at {self._link.where} answered {what} oddly: {reply!r}")
        started = self._link.number(reply[1]) if len(reply) > 1 else None
        extra = reply[2] if len(reply) > 2 else None
        if status is ClaimStatus.DELIVERED:
            return Claim(status, started_at=started, result=None if extra is None else text(extra))
        if status is ClaimStatus.IN_PROGRESS and extra is not None:
            return Claim(status, started_at=started, lease_until=self._link.number(extra))
        return Claim(status, started_at=started)

    async def renew(self, key: str, token: str, now: float) -> bool:
        """See `Store.renew`."""
        renewed = await self._link.run(
            self._renew,
            (self._key("send", key),),
            (token, repr(float(now) + self.lease), self._lease_ms),
        )
        return bool(renewed)

    async def deliver(self, key: str, token: str, result: str, now: float) -> None:
        """See `Store.deliver`."""
        await self._link.run(
            self._deliver,
            (self._key("send", key),),
            (result, repr(float(now) + self.ttl), self._ttl_ms),
        )

    async def release(self, key: str, token: str) -> None:
        """See `Store.release`."""
        await self._link.run(self._release, (self._key("send", key),), (token,))

    async def doubt(self, key: str, token: str) -> None:
        """See `Store.doubt`."""
        await self._link.run(self._doubt, (self._key("send", key),), (token,))

    # -- webhook events ---------------------------------------------------------------------

    async def claim_event(self, key: str, token: str, now: float, lease: float) -> EventStatus:
        """See `Store.claim_event`."""
        reply = await self._link.run(
            self._claim_event,
            (self._key("event", key),),
            (token, repr(float(now)), repr(float(now) + lease), _ms(lease + _LINGER)),
        )
        try:
            return EventStatus(text(reply))
        except (ValueError, TypeError, UnicodeDecodeError):
            raise StoreError(
                f"RedisStore at {self._link.where} answered an event claim oddly: {reply!r}"
            ) from None

    async def renew_event(self, key: str, token: str, now: float, lease: float) -> bool:
        """See `Store.renew_event`."""
        renewed = await self._link.run(
            self._renew_event,
            (self._key("event", key),),
            (token, repr(float(now) + lease), _ms(lease + _LINGER)),
        )
        return bool(renewed)

    async def finish_event(self, key: str, token: str, now: float) -> None:
        """See `Store.finish_event`."""
        await self._link.run(
            self._finish_event,
            (self._key("event", key),),
            (repr(float(now) + self.ttl), self._ttl_ms),
        )

    async def release_event(self, key: str, token: str) -> None:
        """See `Store.release_event`."""
        await self._link.run(self._release_event, (self._key("event", key),), (token,))

    # -- lifecycle --------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Close the Redis client if this store made it (`from_url`); a client passed in
        is left open for its owner."""
        if not self._owns_client:
            return
        self._owns_client = False
        await self._link.close()

    def __repr__(self) -> str:
        return f"RedisStore({self._link.where}, namespace={self.namespace!r})"
