"""The connection pool shared by a client and its ``with_options`` copies."""

from __future__ import annotations

from collections.abc import Callable

import anyio
import anyio.lowlevel
import httpx

from .._errors import ConnectSafelyError
from .._ledger import Ledger
from .._limits import Limiter
from .._telemetry import TelemetrySlot
from ._client import SdkHttpClient
from ._sender import Sender

__all__ = ["CLOSED_MESSAGE", "DEFAULT_LIMITS", "ConnectionPool"]

# Connection-pool defaults sized for bulk outreach: at hundreds of concurrent calls
# httpx's default of 100 connections makes callers queue on the pool, and its waiter
# bookkeeping grows quadratically with the queue. Keep-alive slots match typical
# concurrency so connections are reused rather than re-opened.
DEFAULT_LIMITS = httpx.Limits(
    max_connections=1000, max_keepalive_connections=256, keepalive_expiry=30.0
)

CLOSED_MESSAGE = "This AsyncClient is closed; create a new one (or use it inside `async with`)."


class ConnectionPool:
    """The `httpx.AsyncClient` shared by a client and its `with_options` copies.

    Created lazily on first use so that an unused client holds nothing, and bound to
    the event loop that first used it: connections cannot move between loops, and
    failing clearly beats a confusing "connection error" retried three times.
    """

    __slots__ = (
        "_client",
        "_factory",
        "_loop",
        "_max_in_flight",
        "_sender",
        "closed",
        "in_flight",
        "ledger",
        "limiter",
        "owns_client",
        "owns_store",
        "telemetry",
    )

    def __init__(
        self,
        *,
        http_client: httpx.AsyncClient | None,
        factory: Callable[[], httpx.AsyncClient],
        limiter: Limiter | None = None,
        ledger: Ledger | None = None,
        owns_store: bool = False,
        max_in_flight: int | None = None,
        telemetry: TelemetrySlot = None,
    ) -> None:
        self._client = http_client
        self._sender: Sender | None = None
        self._max_in_flight = max_in_flight
        # Queue for a place on the wire (see DEFAULT_MAX_CONCURRENT_REQUESTS); made on
        # first use because it belongs to the event loop that uses the pool.
        self.in_flight: anyio.Semaphore | None = None
        # Limits state lives with the pool so `with_options` copies share it.
        self.limiter = limiter if limiter is not None else Limiter()
        # The send ledger lives in the same store as the limits' state.
        self.ledger = ledger if ledger is not None else Ledger(self.limiter.state)
        self.owns_store = owns_store
        self._factory = factory
        self._loop: object | None = None
        # An `AioHttpClient` exists only for the SDK, so by default the SDK closes it.
        self.owns_client = (
            http_client is None or getattr(http_client, "close_with_client", False) is True
        )
        self.closed = False
        # Spans and metrics (see `_telemetry`), shared by the copies: None when off.
        self.telemetry = telemetry

    @property
    def opened(self) -> bool:
        """True once an `httpx.AsyncClient` exists (created here or supplied)."""
        return self._client is not None

    def acquire(self) -> httpx.AsyncClient:
        """Return the live httpx client, checking the pool is open and on this loop."""
        return self.sender().client

    def sender(self) -> Sender:
        """Return the `Sender` of the live httpx client (see `acquire` for the checks).

        An `SdkHttpClient` (the SDK's own, `AioHttpClient`) makes its own sender; any
        other client gets the plain one, which sends with ``client.send``.
        """
        if self.closed:
            raise ConnectSafelyError(CLOSED_MESSAGE)
        loop = anyio.lowlevel.current_token().native_token
        if self._loop is None:
            self._loop = loop
            if self._max_in_flight is not None:
                # fast_acquire: no scheduling checkpoint while a place is free.
                self.in_flight = anyio.Semaphore(self._max_in_flight, fast_acquire=True)
        elif loop is not self._loop:
            raise ConnectSafelyError(
                "This AsyncClient's connections belong to another event loop. Create one "
                "client per event loop (e.g. inside the function you pass to anyio.run)."
            )
        sender = self._sender
        if sender is None:
            client = self._client
            if client is None:
                client = self._client = self._factory()
            sender = client._sdk_sender() if isinstance(client, SdkHttpClient) else Sender(client)
            self._sender = sender
        return sender

    async def aclose(self) -> None:
        """Close the pool (and the httpx client, when the SDK created it)."""
        if self.closed:
            return
        self.closed = True
        client, self._client, self._sender = self._client, None, None
        try:
            if client is not None and self.owns_client:
                await client.aclose()
        finally:
            if self.owns_store:  # made by the client from a URL: the client closes it
                await self.limiter.state.aclose()
