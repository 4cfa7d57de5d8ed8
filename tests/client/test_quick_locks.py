"""The SDK's own pool takes its connections' locks without needless pauses.

httpcore's locks pause the task on every acquire; on the SDK's default transport under
asyncio a call pauses once, before its first byte is written, instead of three times
(see `connectsafely._http._locks`); under Trio it keeps httpcore's pauses. Either way a
task told to stop by a task that ran while it was between calls sends nothing more. A
client the caller passes in keeps httpcore's locks.
"""

from __future__ import annotations

from typing import Any

import anyio
import httpx
import pytest
from httpcore._synchronization import AsyncLock

import connectsafely
from connectsafely._http._locks import QuickLock
from connectsafely.testing import FakeConnectSafely, LoopbackServer

pytestmark = pytest.mark.anyio

PROFILE = "ACoAAB-ada"


def _connections(client: connectsafely.AsyncClient) -> list[Any]:
    """The httpcore connections of the client's pool (white box)."""
    http = client._core.pool.acquire()
    return list(http._transport._pool.connections)  # type: ignore[attr-defined]


@pytest.fixture
def served(fake: FakeConnectSafely) -> Any:
    with LoopbackServer(fake) as server:
        yield server


async def test_each_connection_of_the_default_transport_gets_quick_locks(
    served: Any, fake: FakeConnectSafely
) -> None:
    async with connectsafely.AsyncClient(api_key=fake.api_key, base_url=served.base_url) as client:
        async with anyio.create_task_group() as tg:
            for _ in range(4):  # several at once: several connections
                tg.start_soon(client.conversations.exists, PROFILE)
        connections = _connections(client)
        assert connections
        for connection in connections:
            assert isinstance(connection._request_lock, QuickLock)
            assert isinstance(connection._connection._state_lock, QuickLock)
        # And they keep working: more calls over the same connections.
        await client.conversations.exists(PROFILE)


async def test_a_call_pauses_before_its_first_byte_so_a_stopped_task_sends_nothing(
    served: Any, fake: FakeConnectSafely
) -> None:
    finished_first = anyio.Event()
    async with connectsafely.AsyncClient(
        api_key=fake.api_key, base_url=served.base_url, max_retries=0
    ) as client:
        await client.conversations.exists(PROFILE)  # the connection is open
        before = len(fake.requests)

        async def sender(scope: anyio.CancelScope) -> None:
            with scope:
                await client.conversations.exists(PROFILE)
                finished_first.set()
                await client.conversations.exists(PROFILE)  # stopped before it leaves

        scope = anyio.CancelScope()
        async with anyio.create_task_group() as tg:
            tg.start_soon(sender, scope)
            await finished_first.wait()
            scope.cancel()
        await anyio.sleep(0.05)
    assert len(fake.requests) == before + 1


async def test_a_client_passed_in_keeps_httpcore_locks(
    served: Any, fake: FakeConnectSafely
) -> None:
    async with httpx.AsyncClient() as http:
        async with connectsafely.AsyncClient(
            api_key=fake.api_key, base_url=served.base_url, http_client=http
        ) as client:
            await client.conversations.exists(PROFILE)
        (connection,) = http._transport._pool.connections  # type: ignore[attr-defined]
        assert connection._request_lock.__class__ is AsyncLock
        assert connection._connection._state_lock.__class__ is AsyncLock
