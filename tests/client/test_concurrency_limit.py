"""max_concurrent_requests: a cheap queue in front of httpx's pool."""

from __future__ import annotations

from typing import Any

import anyio
import httpx
import pytest

from connectsafely import DEFAULT_MAX_CONCURRENT_REQUESTS, AsyncClient
from connectsafely.testing import FakeConnectSafely

pytestmark = pytest.mark.anyio


class CountingTransport(httpx.AsyncBaseTransport):
    """Records the most requests that were ever on the wire at once."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.active = 0
        self.peak = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.active += 1
        self.peak = max(self.peak, self.active)
        try:
            return await self.inner.handle_async_request(request)
        finally:
            self.active -= 1


async def send_all(client: AsyncClient, calls: int) -> None:
    async def one(n: int) -> None:
        await client.conversations.send(f"Hi {n}", recipient_profile_id=f"prospect-{n}")

    async with anyio.create_task_group() as group:
        for n in range(calls):
            group.start_soon(one, n)


@pytest.mark.parametrize(
    ("options", "expected_peak"),
    [
        ({}, DEFAULT_MAX_CONCURRENT_REQUESTS),
        ({"max_concurrent_requests": 4}, 4),
        ({"max_concurrent_requests": None}, 80),
    ],
)
async def test_requests_on_the_wire_are_capped(
    fake: FakeConnectSafely, options: dict[str, Any], expected_peak: int
) -> None:
    fake.latency = 0.02  # keep each request on the wire long enough to overlap
    counting = CountingTransport(fake.transport())
    async with AsyncClient(api_key=fake.api_key, transport=counting, **options) as client:
        await send_all(client, 80)
    assert counting.peak == expected_peak
    assert len(fake.sends) == 80


async def test_copies_share_the_queue(fake: FakeConnectSafely) -> None:
    fake.latency = 0.02
    counting = CountingTransport(fake.transport())
    async with (
        AsyncClient(api_key=fake.api_key, transport=counting, max_concurrent_requests=3) as client,
        anyio.create_task_group() as group,
    ):
        group.start_soon(send_all, client, 10)
        group.start_soon(send_all, client.with_options(max_retries=0), 10)
    assert counting.peak == 3


async def test_own_http_client_is_not_limited_unless_asked(fake: FakeConnectSafely) -> None:
    fake.latency = 0.02
    counting = CountingTransport(fake.transport())
    async with httpx.AsyncClient(transport=counting) as http:
        async with AsyncClient(api_key=fake.api_key, http_client=http) as client:
            await send_all(client, 40)
        assert counting.peak == 40
        counting.peak = 0
        async with AsyncClient(
            api_key=fake.api_key, http_client=http, max_concurrent_requests=5
        ) as client:
            await send_all(client, 40)
        assert counting.peak == 5


async def test_a_cancelled_waiter_gives_up_its_turn(fake: FakeConnectSafely) -> None:
    fake.latency = 0.05
    counting = CountingTransport(fake.transport())
    async with AsyncClient(
        api_key=fake.api_key, transport=counting, max_concurrent_requests=1
    ) as client:
        with anyio.move_on_after(0.02):
            await send_all(client, 5)  # one on the wire, four queued, all cancelled
        with anyio.fail_after(5):
            await send_all(client, 3)  # the queue is free again
    assert counting.peak == 1


@pytest.mark.parametrize(("value", "error"), [(0, ValueError), (2.5, TypeError), (True, TypeError)])
def test_bad_limit_names_the_argument(value: object, error: type[Exception]) -> None:
    with pytest.raises(error, match="max_concurrent_requests"):
        AsyncClient(api_key="cs_key", max_concurrent_requests=value)  # type: ignore[arg-type]
