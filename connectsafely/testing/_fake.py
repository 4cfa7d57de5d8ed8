"""`FakeConnectSafely`: the in-memory ConnectSafely API, composed from its route groups."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._ratelimit import RateLimitMixin
from ._routes_inbox import InboxRoutes
from ._routes_media import MediaRoutes
from ._routes_messages import MessagesRoutes
from ._routes_send import SendRoutes
from ._routes_uploads import UploadRoutes
from ._transport import InProcessTransport, LoopbackServer

if TYPE_CHECKING:
    from .._client import AsyncClient

__all__ = ["FakeConnectSafely"]


class FakeConnectSafely(
    SendRoutes, MessagesRoutes, InboxRoutes, MediaRoutes, UploadRoutes, RateLimitMixin
):
    """An in-memory ConnectSafely API for tests, demos and benchmarks.

    It is an ASGI application (``fake.app`` is the fake itself), faithful to the API's
    documented behaviour: Bearer auth, camelCase bodies, the documented error shapes,
    Sales Navigator vs inbox routing, cursor paging, raw-body uploads, rate-limit headers
    and the daily new-conversation quota. It records every request (``fake.requests``)
    and every accepted send (``fake.sends``), and can misbehave on request
    (`fail_next`, `rate_limit_next`, `drop_next`, `delay_next`, ``latency``).

    Args:
        api_key: The key the fake accepts (``fake.api_key``).
        error_style: The error body shape it answers with: ``"error"``
            (``{"error": ...}``, the default), ``"code_message"``, ``"success_error"``
            or ``"zod"``.
        seed: Seeds the one random generator behind every random fault (``rate=`` of
            `fail_next`), so a test that injects faults at random gets the same faults
            on every run, given the same order of requests. ``None`` (the default)
            draws them differently on every run.
        clock: The fake's time (``fake.clock``): a `FakeClock`, or an aware `datetime`
            to freeze a new one at; by default a `FakeClock` following the wall clock.

    Example:
        >>> fake = FakeConnectSafely()
        >>> async def main() -> None:  # doctest: +SKIP
        ...     async with fake.client() as client:
        ...         await client.conversations.send("Hi", recipient_profile_id="jane-doe")
        ...     assert fake.sends[0].text == "Hi"
    """

    @property
    def app(self) -> FakeConnectSafely:
        """The ASGI application (the fake itself), e.g. for ``httpx.ASGITransport``."""
        return self

    def transport(self) -> InProcessTransport:
        """An httpx transport that calls the fake in-process (with read timeouts)."""
        return InProcessTransport(self)

    def client(self, **options: Any) -> AsyncClient:
        """An `AsyncClient` wired to the fake in-process; ``options`` go to the client.

        The base URL is the production one, but no request leaves the process. The
        client reads "now" for holds, quota blocks and the UTC day from the fake's
        `clock`, so moving the fake past midnight moves the client's quota day too.
        """
        from .._client import AsyncClient, use_calendar

        options.setdefault("api_key", self.api_key)
        if "http_client" not in options:
            options.setdefault("transport", self.transport())
        client = AsyncClient(**options)
        use_calendar(client, self.clock)
        return client

    def serve(self, *, host: str = "127.0.0.1", port: int = 0) -> LoopbackServer:
        """Serve the fake on a real loopback port (needs ``connectsafely[server]``).

        Use as ``with fake.serve() as server:`` or ``async with fake.serve() as server:``;
        ``server.base_url`` is the address and ``server.client()`` a client for it.
        """
        return LoopbackServer(self, host=host, port=port)
