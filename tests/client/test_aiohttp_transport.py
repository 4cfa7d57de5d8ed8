"""`AioHttpClient`: the optional aiohttp transport behaves like the default one.

The whole suite can also run over it: ``CONNECTSAFELY_TEST_TRANSPORT=aiohttp pytest``
makes every asyncio loopback test use `AioHttpClient`.
"""

from __future__ import annotations

import socket
import subprocess
import sys

import anyio
import pytest

import connectsafely
from connectsafely.testing import FakeConnectSafely, LoopbackServer

pytest.importorskip("aiohttp")
pytest.importorskip("httpx_aiohttp")

pytestmark = pytest.mark.anyio


@pytest.fixture
def served(fake: FakeConnectSafely, loopback: tuple[LoopbackServer, object]) -> LoopbackServer:
    server, app = loopback
    app.target = fake  # type: ignore[attr-defined]
    return server


def _client(server: LoopbackServer, **options: object) -> connectsafely.AsyncClient:
    return connectsafely.AsyncClient(
        api_key=FakeConnectSafely().api_key,
        base_url=server.base_url,
        http_client=connectsafely.AioHttpClient(),
        **options,  # type: ignore[arg-type]
    )


def test_import_connectsafely_does_not_import_aiohttp_or_testing() -> None:
    code = (
        "import sys, connectsafely; connectsafely.AioHttpClient; "
        "print('aiohttp' in sys.modules, 'connectsafely.testing' in sys.modules, "
        "'tenacity' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False", "False"]


async def test_send_over_aiohttp_returns_the_result(
    anyio_backend: str, served: LoopbackServer, fake: FakeConnectSafely
) -> None:
    if anyio_backend != "asyncio":
        pytest.skip("aiohttp is asyncio-only")
    async with _client(served) as client:
        result = await client.conversations.send("Hi!", recipient_profile_id="john-doe-123")
    assert result.success is True
    [request] = fake.requests
    assert request.headers["authorization"] == f"Bearer {fake.api_key}"
    assert request.headers["idempotency-key"]


async def test_aiohttp_retries_a_503_with_the_same_idempotency_key(
    anyio_backend: str, served: LoopbackServer, fake: FakeConnectSafely, sleeps: list[float]
) -> None:
    if anyio_backend != "asyncio":
        pytest.skip("aiohttp is asyncio-only")
    fake.fail_next(503)
    async with _client(served) as client:
        await client.conversations.send("Hi!", recipient_profile_id="john-doe-123")
    first, second = fake.requests
    assert first.headers["idempotency-key"] == second.headers["idempotency-key"]
    assert len(sleeps) == 1


async def test_aiohttp_dropped_connection_is_a_connection_error_not_a_timeout(
    anyio_backend: str, served: LoopbackServer, fake: FakeConnectSafely
) -> None:
    if anyio_backend != "asyncio":
        pytest.skip("aiohttp is asyncio-only")
    fake.drop_next(count=3)
    async with _client(served) as client:
        with pytest.raises(connectsafely.APIConnectionError) as info:
            await client.conversations.send("Hi!", recipient_profile_id="john-doe-123")
    assert not isinstance(info.value, connectsafely.APITimeoutError)
    assert len(fake.requests) == 3


async def test_aiohttp_refused_connection_is_retried_then_raised(
    anyio_backend: str, sleeps: list[float]
) -> None:
    if anyio_backend != "asyncio":
        pytest.skip("aiohttp is asyncio-only")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    async with connectsafely.AsyncClient(
        api_key=FakeConnectSafely().api_key,
        base_url=f"http://127.0.0.1:{port}",
        http_client=connectsafely.AioHttpClient(),
    ) as client:
        with pytest.raises(connectsafely.APIConnectionError) as info:
            await client.conversations.send("Hi!", recipient_profile_id="john-doe-123")
    assert not isinstance(info.value, connectsafely.APITimeoutError)
    assert len(sleeps) == 2


async def test_aiohttp_read_timeout_is_a_timeout_error(
    anyio_backend: str, served: LoopbackServer, fake: FakeConnectSafely
) -> None:
    if anyio_backend != "asyncio":
        pytest.skip("aiohttp is asyncio-only")
    fake.delay_next(2.0)
    async with _client(served, timeout=0.2, max_retries=0) as client:
        with pytest.raises(connectsafely.APITimeoutError):
            await client.conversations.send("Hi!", recipient_profile_id="john-doe-123")


async def test_aiohttp_under_trio_says_why_not(
    anyio_backend: str, served: LoopbackServer, fake: FakeConnectSafely
) -> None:
    if anyio_backend != "trio":
        pytest.skip("checks the Trio refusal")
    async with _client(served) as client:
        with pytest.raises(connectsafely.ConnectSafelyError, match="only under asyncio"):
            await client.conversations.send("Hi!", recipient_profile_id="john-doe-123")
    assert fake.requests == []


async def test_aiohttp_client_is_closed_with_the_sdk_client(
    anyio_backend: str, served: LoopbackServer
) -> None:
    if anyio_backend != "asyncio":
        pytest.skip("aiohttp is asyncio-only")
    http_client = connectsafely.AioHttpClient()
    client = connectsafely.AsyncClient(
        api_key=FakeConnectSafely().api_key, base_url=served.base_url, http_client=http_client
    )
    await client.conversations.send("Hi!", recipient_profile_id="john-doe-123")
    await client.aclose()
    assert http_client.is_closed


async def test_aiohttp_handles_concurrent_sends(
    anyio_backend: str, served: LoopbackServer, fake: FakeConnectSafely
) -> None:
    if anyio_backend != "asyncio":
        pytest.skip("aiohttp is asyncio-only")
    async with _client(served) as client, anyio.create_task_group() as group:
        for index in range(50):
            group.start_soon(
                lambda i=index: client.conversations.send(
                    f"Hi {i}", recipient_profile_id="john-doe-123"
                )
            )
    assert len(fake.requests) == 50
