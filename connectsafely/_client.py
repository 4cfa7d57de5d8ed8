"""`AsyncClient`: configuration, lifecycle, `with_options` and resource wiring."""

from __future__ import annotations

import functools
import hashlib
import warnings
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any

import httpx

from ._config import (
    DEFAULT_MAX_CONCURRENT_REQUESTS,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    ClientConfig,
    Limits,
    RateLimit,
    check_headers,
    check_max_concurrent_requests,
    check_max_retries,
    resolve_account_id,
    resolve_api_key,
    resolve_base_url,
    resolve_limits,
    resolve_timeout,
)
from ._http import DEFAULT_LIMITS, ConnectionPool, HttpCore
from ._http._client import SdkHttpClient
from ._ledger import Ledger
from ._limits import Limiter, RateGate
from ._telemetry import for_client
from ._types import NOT_GIVEN, NotGiven
from .stores import MemoryStore, Store

if TYPE_CHECKING:
    from opentelemetry.metrics import MeterProvider
    from opentelemetry.trace import TracerProvider

    from .resources.accounts import Accounts
    from .resources.attachments import Attachments
    from .resources.conversations import Conversations
    from .resources.invitations import Invitations
    from .resources.profiles import Profiles
    from .resources.sales_navigator import SalesNavigator

__all__ = ["AsyncClient", "use_calendar"]


class AsyncClient:
    """Async client for the ConnectSafely LinkedIn API (asyncio and Trio).

    Use one client per process and event loop, and close it: ``async with AsyncClient()
    as client: ...`` or ``await client.aclose()``.

    Args:
        api_key: Your API key; defaults to ``CONNECTSAFELY_API_KEY``.
        base_url: API root; defaults to ``CONNECTSAFELY_BASE_URL``, then
            ``https://api.connectsafely.ai``. Plain ``http://`` only for loopback hosts.
        account_id: Default LinkedIn account for calls that take one; defaults to
            ``CONNECTSAFELY_ACCOUNT_ID``. A call's own ``account_id=`` wins.
        timeout: Seconds, or an `httpx.Timeout`. Default: 30 s, 5 s to connect.
        max_retries: Retries after the first attempt (``2`` means up to 3 attempts).
        default_headers: Extra headers sent with every request.
        http_client: Your own `httpx.AsyncClient` (proxies, TLS, limits). The SDK does
            not close a client it did not create.
        transport: An `httpx.AsyncBaseTransport` for the SDK's own httpx client, e.g.
            ``httpx.ASGITransport(app=fake.app)``.
        limits: Client-side `Limits` per layer of the API's limits (the key, each
            account's writes, each account's new conversations per day), shared by this
            client and its ``with_options`` copies; ``Limits.documented()`` is the
            API's published numbers. With or without them, server-driven pauses apply:
            a 429 or ``X-RateLimit-Remaining: 0`` pauses the scope it names (one
            account's action, else every call). See ``docs/limits.md``.
        rate_limit: Shorthand for ``limits=Limits(key=rate_limit)``; not both.
        store: Where limits state and the send ledger live, shared by this client, its
            copies and (for shared stores) other processes: a `connectsafely.stores`
            store (`MemoryStore` by default; `SQLiteStore` for processes on one
            machine; `RedisStore` for many machines), or a URL the client opens and
            closes itself (``"redis://host:6379/0"``, ``"sqlite:///path/to.db"``). A
            store you pass in is not closed by the client. See ``docs/scaling.md``.
        max_concurrent_requests: How many requests this client and its copies keep on
            the wire at once; further calls wait their turn (cheaply, first come first
            served). Default 16 with the SDK's own connection pool, no limit with your
            ``http_client`` (its limits apply); ``None`` disables it. httpx's pool gets
            much slower per request with hundreds in flight, so queueing here is faster.
        tracer_provider: The OpenTelemetry `TracerProvider` for the client's spans (one
            per call, one per HTTP attempt); defaults to the global one, looked up at
            the client's first call. Needs ``pip install "connectsafely[otel]"``. See
            ``docs/observability.md``.
        meter_provider: The OpenTelemetry `MeterProvider` for its metrics; defaults to
            the global one, like ``tracer_provider``.

    Raises:
        ConfigurationError: The key is missing or malformed, or the base URL is unsafe.
        TypeError: A ``tracer_provider``/``meter_provider`` that is not one.

    Examples:
        >>> async with AsyncClient() as client:  # doctest: +SKIP
        ...     await client.conversations.send("Hi!", recipient_profile_id="john-doe-123")
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | httpx.URL | None = None,
        account_id: str | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        default_headers: Mapping[str, str] | None = None,
        http_client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        limits: Limits | None = None,
        rate_limit: RateLimit | None = None,
        store: Store | str | None = None,
        max_concurrent_requests: int | NotGiven | None = NOT_GIVEN,
        tracer_provider: TracerProvider | None = None,
        meter_provider: MeterProvider | None = None,
    ) -> None:
        config = ClientConfig(
            api_key=resolve_api_key(api_key),
            base_url=resolve_base_url(base_url),
            account_id=resolve_account_id(account_id),
            timeout=resolve_timeout(timeout),
            max_retries=check_max_retries(max_retries),
            default_headers=check_headers(default_headers, "default_headers"),
        )
        if http_client is not None and transport is not None:
            raise ValueError("Pass either http_client or transport, not both.")
        if http_client is not None and not isinstance(http_client, httpx.AsyncClient):
            raise TypeError("http_client must be an httpx.AsyncClient.")
        if transport is not None and not isinstance(transport, httpx.AsyncBaseTransport):
            raise TypeError("transport must be an httpx.AsyncBaseTransport.")
        checked_limits = resolve_limits(limits, rate_limit)
        telemetry = for_client(tracer_provider, meter_provider)

        def make_http_client() -> httpx.AsyncClient:
            return SdkHttpClient(transport=transport, limits=DEFAULT_LIMITS, follow_redirects=False)

        if max_concurrent_requests is NOT_GIVEN:
            max_concurrent_requests = (
                DEFAULT_MAX_CONCURRENT_REQUESTS if http_client is None else None
            )
        state, owns_store = resolve_store(store, connect_timeout=config.timeout.connect)
        scope = key_scope(config.api_key)
        pool = ConnectionPool(
            http_client=http_client,
            factory=make_http_client,
            limiter=Limiter(checked_limits, state, prefix=scope),
            ledger=Ledger(state, prefix=scope),
            owns_store=owns_store,
            max_in_flight=check_max_concurrent_requests(max_concurrent_requests),
            telemetry=telemetry,
        )
        self._setup(config, pool, owns_pool=True)

    def _setup(
        self,
        config: ClientConfig,
        pool: ConnectionPool,
        *,
        owns_pool: bool,
        gate: RateGate | None = None,
    ) -> None:
        self._core = HttpCore(config, pool, gate)
        self._owns_pool = owns_pool

    # Namespaces are built on first use, in one place: `import connectsafely` loads none
    # of their modules (pagination, bulk sending, media, the inbox models).

    @functools.cached_property
    def conversations(self) -> Conversations:
        """Send and read LinkedIn messages, manage threads, download media."""
        from .resources.conversations import Conversations

        return Conversations(self._core)

    @functools.cached_property
    def accounts(self) -> Accounts:
        """Account-level information: usage quotas."""
        from .resources.accounts import Accounts

        return Accounts(self._core)

    @functools.cached_property
    def sales_navigator(self) -> SalesNavigator:
        """The Sales Navigator inbox: filtered threads, read state, native sends."""
        from .resources.sales_navigator import SalesNavigator

        return SalesNavigator(self._core)

    @functools.cached_property
    def profiles(self) -> Profiles:
        """LinkedIn profiles: fetch one, visit it, read the account's relationship to it."""
        from .resources.profiles import Profiles

        return Profiles(self._core)

    @functools.cached_property
    def invitations(self) -> Invitations:
        """Connection requests: send them, list sent and received ones, answer, withdraw."""
        from .resources.invitations import Invitations

        return Invitations(self._core)

    @functools.cached_property
    def attachments(self) -> Attachments:
        """Upload files to attach to messages."""
        from .resources.attachments import Attachments

        return Attachments(self._core)

    @property
    def base_url(self) -> httpx.URL:
        """The API root requests go to."""
        return self._core.config.base_url

    @property
    def account_id(self) -> str | None:
        """The default LinkedIn account id, or ``None`` for the workspace default."""
        return self._core.config.account_id

    @property
    def timeout(self) -> httpx.Timeout:
        """The timeout applied to each attempt."""
        return self._core.config.timeout

    @property
    def max_retries(self) -> int:
        """Retries after the first attempt."""
        return self._core.config.max_retries

    @property
    def limits(self) -> Limits:
        """The client-side `Limits` shared by this client and its copies."""
        return self._core.pool.limiter.limits

    @property
    def rate_limit(self) -> RateLimit | None:
        """The key-wide `RateLimit` of this client (a copy's own, else ``limits.key``)."""
        return self._core.gate.own_limit or self._core.pool.limiter.limits.key

    @property
    def is_closed(self) -> bool:
        """True after `aclose` (or after the parent of a `with_options` copy closed)."""
        return self._core.closed or self._core.pool.closed

    def with_options(
        self,
        *,
        timeout: float | httpx.Timeout | NotGiven = NOT_GIVEN,
        max_retries: int | NotGiven = NOT_GIVEN,
        account_id: str | NotGiven | None = NOT_GIVEN,
        default_headers: Mapping[str, str] | NotGiven | None = NOT_GIVEN,
        rate_limit: RateLimit | NotGiven | None = NOT_GIVEN,
    ) -> AsyncClient:
        """Return a client with some options changed that shares this one's connections.

        Closing the copy leaves the shared pool open; closing the original closes it.
        Copies share the original's rate-limit state; ``rate_limit=`` adds a limit of
        the copy's own on top (a copy can be slower than the shared budget, never
        faster), and ``rate_limit=None`` drops such an extra limit.

        Examples:
            >>> no_retry = client.with_options(max_retries=0)  # doctest: +SKIP
        """
        old = self._core.config
        config = ClientConfig(
            api_key=old.api_key,
            base_url=old.base_url,
            account_id=old.account_id
            if account_id is NOT_GIVEN
            else resolve_account_id(account_id),
            timeout=old.timeout if timeout is NOT_GIVEN else resolve_timeout(timeout),
            max_retries=(
                old.max_retries if max_retries is NOT_GIVEN else check_max_retries(max_retries)
            ),
            default_headers=(
                old.default_headers
                if default_headers is NOT_GIVEN
                else _merge_headers(
                    old.default_headers, check_headers(default_headers, "default_headers")
                )
            ),
        )
        if rate_limit is NOT_GIVEN:
            gate = self._core.gate
        elif rate_limit is None or isinstance(rate_limit, RateLimit):
            gate = RateGate(self._core.pool.limiter, rate_limit)
        else:
            raise TypeError("rate_limit must be a connectsafely.RateLimit (or None).")
        child = object.__new__(AsyncClient)
        child._setup(config, self._core.pool, owns_pool=False, gate=gate)
        return child

    async def aclose(self) -> None:
        """Close the client. Closing the original also closes the shared connections."""
        self._core.closed = True
        if self._owns_pool:
            await self._core.pool.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        config = self._core.config
        state = " closed" if self.is_closed else ""
        return (
            f"<AsyncClient base_url={str(config.base_url)!r} account_id={config.account_id!r} "
            f"max_retries={config.max_retries}{state}>"
        )

    def __reduce__(self) -> Any:
        # A client holds live connections and the API key: neither belongs in a pickle.
        raise TypeError("AsyncClient cannot be pickled; create a new client where needed.")

    def __del__(self) -> None:
        # Only warns; never schedules I/O from a finalizer (it may run on any thread).
        try:
            pool = self._core.pool
            if self._owns_pool and pool.opened and pool.owns_client and not pool.closed:
                warnings.warn(
                    f"Unclosed {self!r}: use `async with AsyncClient()` or `await "
                    "client.aclose()`.",
                    ResourceWarning,
                    stacklevel=2,
                )
        except AttributeError:  # __init__ failed before the client was set up
            pass


def _merge_headers(parent: Mapping[str, str], child: Mapping[str, str]) -> dict[str, str]:
    """A copy's default headers: the child's replace the parent's of the same name in
    any spelling (HTTP header names are case-insensitive), so one is never sent twice."""
    replaced = {name.lower() for name in child}
    return {
        **{name: value for name, value in parent.items() if name.lower() not in replaced},
        **child,
    }


def use_calendar(client: AsyncClient, calendar: Callable[[], float]) -> None:
    """Make ``client`` and its copies read "now" for holds, quota blocks and the UTC day
    from ``calendar`` (epoch seconds) instead of the system clock.

    For test harnesses: the fake server's clients use the fake's clock, so a test that
    moves the fake past midnight moves the client's quota day with it.
    """
    client._core.pool.limiter.calendar = calendar


def key_scope(api_key: str) -> str:
    """The client's scope in a store: a short hash of the API key, never the key."""
    return hashlib.sha256(api_key.encode()).hexdigest()[:16]


def resolve_store(store: object, connect_timeout: float | None = None) -> tuple[Store, bool]:
    """``store=``: the store, and whether the client made it (and so closes it).

    A store made from a URL connects no slower than the client does (``connect_timeout``).
    """
    if store is None:
        return MemoryStore(), True
    if isinstance(store, Store):
        return store, False
    if isinstance(store, str):
        if store.startswith(("redis://", "rediss://", "unix://")):
            from .stores.redis import RedisStore

            connect = DEFAULT_TIMEOUT.connect or 5.0
            if connect_timeout is not None:
                connect = min(connect, connect_timeout)
            return RedisStore.from_url(store, connect_timeout=connect), True
        if store.startswith("sqlite:///"):
            from .stores.sqlite import SQLiteStore

            # As SQLAlchemy spells it: sqlite:///relative.db, sqlite:////absolute.db
            return SQLiteStore(store[len("sqlite:///") :]), True
        raise ValueError(
            "store must be a connectsafely.stores store or a URL starting with redis://, "
            "rediss://, unix:// or sqlite:///."
        )
    raise TypeError(f"store must be a connectsafely.stores store, not {type(store).__name__}.")
