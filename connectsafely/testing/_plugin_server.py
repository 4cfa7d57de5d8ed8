"""The pytest plugin's loopback server: one uvicorn server per session, a fresh fake per test.

`FakeServer` (what the session-scoped ``connectsafely_server`` fixture is) runs a
`LoopbackServer` (``connectsafely[server]``) serving a `_Switch`: an ASGI app that hands
every request to the fake of the test running now. `FakeServer.serve` puts a test's fake
behind it; the plugin calls it for every test that uses the server.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from . import FakeClock, FakeConnectSafely, LoopbackServer

if TYPE_CHECKING:
    from .. import AsyncClient

__all__ = ["FakeServer"]

SETTLE = 0.25
"""Seconds a switch to the next test's fake waits for the previous test's requests
still being answered (a request its code sent just before it ended)."""

_IDLE = json.dumps({"error": "No test is using connectsafely_server right now"}).encode()


class _Switch:
    """An ASGI app forwarding each request to the current test's fake.

    It stands in for the fake where `LoopbackServer` looks: ``api_key`` and ``clock``
    are the current fake's, so ``server.client()`` is wired like ``fake.client()``.
    """

    def __init__(self) -> None:
        self.fake: FakeConnectSafely | None = None
        self.in_flight = 0  # changed on the server's thread only

    @property
    def api_key(self) -> str:
        """The current fake's key (what `LoopbackServer.client` sends)."""
        return "" if self.fake is None else self.fake.api_key

    @property
    def clock(self) -> FakeClock | None:
        """The current fake's clock (the calendar of `LoopbackServer.client`)."""
        return None if self.fake is None else self.fake.clock

    async def __call__(
        self,
        scope: dict[str, Any],
        receive: Callable[[], Awaitable[dict[str, Any]]],
        send: Callable[[dict[str, Any]], Awaitable[None]],
    ) -> None:
        fake = self.fake
        if fake is None:
            await send(
                {
                    "type": "http.response.start",
                    "status": 503,
                    "headers": [(b"content-type", b"application/json")],
                }
            )
            await send({"type": "http.response.body", "body": _IDLE})
            return
        self.in_flight += 1
        try:
            await fake(scope, receive, send)
        finally:
            self.in_flight -= 1

    def bind(self, fake: FakeConnectSafely) -> None:
        """Serve ``fake`` from now on, once the previous fake's requests are answered."""
        deadline = time.monotonic() + SETTLE
        while self.in_flight and time.monotonic() < deadline:
            time.sleep(0.002)
        self.fake = fake


class FakeServer:
    """The session's loopback server, with the running test's fake behind it (what the
    session-scoped ``connectsafely_server`` fixture is).

    Started once per session; before each test that uses it, a fresh fake (the test's
    ``connectsafely_fake``) is put behind the same port.

    Attributes:
        base_url: ``http://127.0.0.1:<port>``: give it to code that builds its own client
            (it stays the same for the whole session).
    """

    def __init__(self) -> None:
        self._switch = _Switch()
        self._server = LoopbackServer(self._switch).start()
        self.base_url = self._server.base_url

    def __repr__(self) -> str:
        return f"<FakeServer {self.base_url}>"

    @property
    def fake(self) -> FakeConnectSafely:
        """The fake answering now: the running test's ``connectsafely_fake``.

        Raises:
            RuntimeError: Outside a test that uses the server.
        """
        fake = self._switch.fake
        if fake is None:
            raise RuntimeError("No test is using connectsafely_server right now")
        return fake

    def client(self, **options: Any) -> AsyncClient:
        """An `AsyncClient` talking to the fake over the socket, with the fake's key and
        clock (like ``fake.client()``); ``options`` go to the client. Close it yourself
        (``async with server.client() as client:``)."""
        return self._server.client(**options)

    def serve(self, fake: FakeConnectSafely) -> None:
        """Put ``fake`` behind the port (once the previous fake's requests are answered)."""
        self._switch.bind(fake)

    def stop(self) -> None:
        """Stop the server (at the end of the session)."""
        self._server.stop()
