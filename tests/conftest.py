"""Shared fixtures: both anyio backends, a fresh fake per test, clients over both wires.

Every async test runs on asyncio and on Trio (the ``anyio_backend`` fixture), and every
test that takes ``client`` runs over the in-process ASGI transport and over a real
loopback socket (uvicorn), so the two paths users take are both exercised.
"""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

import connectsafely
from connectsafely import _retry
from connectsafely._client import use_calendar
from connectsafely.testing import FakeConnectSafely, LoopbackServer

# tests/plugin runs user-style test files through pytester.
pytest_plugins = ["pytester"]


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """Run each async test once per backend."""
    return str(request.param)


class _SwitchableApp:
    """One loopback server for the whole session, forwarding to the current test's fake."""

    def __init__(self) -> None:
        self._target: FakeConnectSafely | None = None
        self.server: LoopbackServer | None = None
        self.api_key = "unused"

    @property
    def target(self) -> FakeConnectSafely | None:
        return self._target

    @target.setter
    def target(self, fake: FakeConnectSafely | None) -> None:
        if fake is not self._target:
            self._settle()
        self._target = fake

    def _settle(self, timeout: float = 0.25) -> None:
        """Let the server finish the previous test's connections before switching.

        The server runs in a thread that may get the GIL only milliseconds after the
        previous test ended: a request that test sent just before it finished (the
        attempt an upload aborted mid-body) would otherwise reach the next test's fake.
        A closed connection leaves uvicorn's set once its last request was dispatched.
        """
        server = getattr(self.server, "_server", None)
        deadline = time.monotonic() + timeout
        while server is not None and server.server_state.connections:
            if time.monotonic() > deadline:
                return  # a client still open (it keeps its connection): carry on
            time.sleep(0.002)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        assert self._target is not None, "no fake bound to the loopback server"
        await self._target(scope, receive, send)


@pytest.fixture(scope="session")
def loopback() -> Iterator[tuple[LoopbackServer, _SwitchableApp]]:
    """A uvicorn server on 127.0.0.1 shared by the session."""
    app = _SwitchableApp()
    server = LoopbackServer(app)  # type: ignore[arg-type]
    app.server = server
    with server:
        yield server, app


@pytest.fixture
def fake() -> FakeConnectSafely:
    """A fresh in-memory ConnectSafely API."""
    return FakeConnectSafely()


@pytest.fixture(params=["inprocess", "loopback"])
def wire(request: pytest.FixtureRequest) -> str:
    """Which wire a ``client`` fixture uses."""
    return str(request.param)


@pytest.fixture
def make_client(fake: FakeConnectSafely, wire: str, request: pytest.FixtureRequest) -> Any:
    """Build clients wired to ``fake`` over the parametrised wire (closed by the test)."""

    def build(**options: Any) -> connectsafely.AsyncClient:
        if wire == "inprocess":
            return fake.client(**options)
        server, app = request.getfixturevalue("loopback")
        app.target = fake
        options.setdefault("api_key", fake.api_key)
        options.setdefault("base_url", server.base_url)
        if _use_aiohttp(request) and "http_client" not in options and "transport" not in options:
            options["http_client"] = connectsafely.AioHttpClient()
        client = connectsafely.AsyncClient(**options)
        use_calendar(client, fake.clock)  # as fake.client() does: the fake's calendar
        return client

    return build


def _use_aiohttp(request: pytest.FixtureRequest) -> bool:
    """``CONNECTSAFELY_TEST_TRANSPORT=aiohttp`` runs loopback tests over `AioHttpClient`.

    asyncio tests only: aiohttp cannot run under Trio, whose tests keep the default.
    """
    if os.environ.get("CONNECTSAFELY_TEST_TRANSPORT", "") != "aiohttp":
        return False
    callspec = getattr(request.node, "callspec", None)
    return callspec is not None and callspec.params.get("anyio_backend") == "asyncio"


@pytest.fixture
async def client(make_client: Any) -> AsyncIterator[connectsafely.AsyncClient]:
    """An open client wired to ``fake``; closed after the test."""
    async with make_client() as opened:
        yield opened


@pytest.fixture(autouse=True)
def sleeps(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record retry backoff delays instead of sleeping them (tests stay fast).

    Tests marked ``real_sleep`` keep the real, cancellable anyio sleep.
    """
    recorded: list[float] = []
    if request.node.get_closest_marker("real_sleep"):
        return recorded

    async def record(seconds: float) -> None:
        recorded.append(seconds)
        import anyio

        await anyio.lowlevel.checkpoint()

    monkeypatch.setattr(_retry, "sleep", record)
    return recorded


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never see the developer's real ConnectSafely settings."""
    for name in ("CONNECTSAFELY_API_KEY", "CONNECTSAFELY_BASE_URL", "CONNECTSAFELY_ACCOUNT_ID"):
        monkeypatch.delenv(name, raising=False)
