"""Wiring the fake to a client: in-process (ASGI) and over a real loopback socket."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol

import anyio
import anyio.to_thread
import httpx

from ._wire import ConnectionDropped

if TYPE_CHECKING:
    from .._client import AsyncClient

__all__ = ["ASGIApp", "FakeASGIApp", "InProcessTransport", "LoopbackServer", "wired_client"]


class ASGIApp(Protocol):
    """Any ASGI application (what `LoopbackServer` serves: the fake, or a webhook
    receiver under test)."""

    async def __call__(
        self,
        scope: dict[str, Any],
        receive: Callable[[], Awaitable[dict[str, Any]]],
        send: Callable[[dict[str, Any]], Awaitable[None]],
    ) -> None: ...


class FakeASGIApp(ASGIApp, Protocol):
    """What the wiring needs of the fake: an ASGI app that knows the key it accepts.

    A protocol rather than `FakeConnectSafely` itself, so this module does not import
    the fake that imports it (and a test can serve any such app, e.g. a switch).
    """

    api_key: str


class InProcessTransport(httpx.AsyncBaseTransport):
    """`httpx.ASGITransport` plus the read timeout a socket would enforce.

    ASGI calls run inside the caller's task with no socket, so without this an injected
    delay could never end in a timeout and in-process tests would not see what real
    users see.
    """

    def __init__(self, app: FakeASGIApp) -> None:
        self._asgi = httpx.ASGITransport(app=app)  # type: ignore[arg-type]

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Run the request through the fake app, enforcing the read timeout."""
        timeout = request.extensions.get("timeout", {}).get("read")
        if timeout is None:
            return await self._asgi.handle_async_request(request)
        with anyio.move_on_after(timeout) as scope:
            response = await self._asgi.handle_async_request(request)
            await response.aread()
            return response
        assert scope.cancelled_caught
        raise httpx.ReadTimeout("Timed out waiting for the fake server", request=request)

    async def aclose(self) -> None:
        """Nothing to release: the app lives in memory."""


class LoopbackServer:
    """The fake (or any ASGI app) served by uvicorn on ``127.0.0.1`` in a background thread.

    Works as ``with`` or ``async with`` (from asyncio or Trio tests alike) and as a
    plain object with `start` / `stop`. Requires ``pip install connectsafely[server]``.
    ``LoopbackServer(WebhookReceiver(...))`` serves a webhook receiver for end-to-end
    tests (``fake.add_webhook(server.base_url, secret)``).

    Attributes:
        base_url: ``http://127.0.0.1:<port>`` once started.
    """

    def __init__(
        self, app: FakeASGIApp | ASGIApp, *, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.app = app
        self.host = host
        self.port = port
        self.base_url = ""
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def start(self, timeout: float = 10.0) -> LoopbackServer:
        """Start serving; returns once the port accepts connections."""
        try:
            import uvicorn
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise RuntimeError(
                "Serving the fake on a socket needs uvicorn: pip install 'connectsafely[server]'"
            ) from exc
        # proto=IPPROTO_TCP, not 0: asyncio only sets TCP_NODELAY itself on accepted
        # sockets whose proto says TCP.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted connections inherit this. Without it uvicorn's separate header and
        # body writes meet Nagle + delayed ACK: ~40 ms per request instead of <1 ms.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            _DropAware(self.app),
            lifespan="off",
            http="h11",
            loop="asyncio",
            log_level="warning",
            access_log=False,
            timeout_keep_alive=30,
            backlog=4096,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [sock]},
            daemon=True,
            name=f"connectsafely-fake-{self.port}",
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("The fake ConnectSafely server did not start")
            time.sleep(0.005)
        self.base_url = f"http://{self.host}:{self.port}"
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving and wait for the thread to end."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            # Give in-flight requests a moment, then stop waiting for ones the fake is
            # deliberately stalling (injected delays outlive the client's timeout).
            self._thread.join(0.5)
            if self._thread.is_alive() and self._server is not None:
                self._server.force_exit = True
            self._thread.join(timeout)
        self._thread = None
        self._server = None

    def client(self, **options: Any) -> AsyncClient:
        """An `AsyncClient` talking to this server over the socket (on the fake's clock,
        like `FakeConnectSafely.client`)."""
        options.setdefault("base_url", self.base_url)
        clock = getattr(self.app, "clock", None)
        return wired_client(
            options,
            api_key=getattr(self.app, "api_key", None),
            calendar=clock if callable(clock) else None,
        )

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> LoopbackServer:
        return await anyio.to_thread.run_sync(self.start)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await anyio.to_thread.run_sync(self.stop)


def wired_client(
    options: dict[str, Any], *, api_key: str | None, calendar: Callable[[], float] | None
) -> AsyncClient:
    """An `AsyncClient` built from ``options``: with the fake's key unless they name one,
    and reading "now" from the fake's ``calendar`` (holds, quota blocks, the UTC day)."""
    from .._client import AsyncClient, use_calendar

    if api_key is not None:
        options.setdefault("api_key", api_key)
    client = AsyncClient(**options)
    if calendar is not None:
        use_calendar(client, calendar)
    return client


class _DropAware:
    """Turns `ConnectionDropped` into a real closed TCP connection under uvicorn."""

    def __init__(self, app: FakeASGIApp | ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await self.app(scope, receive, send)
        except ConnectionDropped:
            # uvicorn passes its per-request cycle's bound `send`; the cycle owns the
            # asyncio transport. Abort it (no flush of anything not yet written) and mark
            # the cycle disconnected so uvicorn neither logs nor writes a 500.
            cycle = getattr(send, "__self__", None)
            transport = getattr(cycle, "transport", None)
            if transport is None:
                raise
            transport.close()
            cycle.disconnected = True  # type: ignore[union-attr]
