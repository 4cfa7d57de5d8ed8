"""The weekly CONNECT count and the daily PROFILE_VIEW count, shared through a store.

Two clients stand for two worker processes: each has its own limiter and its own store
object, on one SQLite file or one Redis namespace (a `MemoryStore` is shared only by
passing the same object). Together they send what ``Limits`` allows, not twice that.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import anyio
import pytest

from connectsafely import AsyncClient, Limits, QuotaExceededError
from connectsafely.stores import MemoryStore, RedisStore, SQLiteStore, Store
from connectsafely.testing import FakeConnectSafely

pytestmark = pytest.mark.anyio

MONDAY_NOON = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)
CONNECT = "/linkedin/connect"
LIMITS = Limits(account_connects=5, account_profile_views=3)


@pytest.fixture(params=["memory", "sqlite", "redis"])
def two_stores(request: pytest.FixtureRequest, tmp_path: Path, anyio_backend: str) -> Any:
    """Two store objects on one backend (the same object for memory)."""
    if request.param == "memory":
        store = MemoryStore()
        return store, store
    if request.param == "sqlite":
        return SQLiteStore(tmp_path / "shared.db"), SQLiteStore(tmp_path / "shared.db")
    if anyio_backend != "asyncio":
        pytest.skip("RedisStore is asyncio-only")
    server = request.getfixturevalue("redis_server")
    namespace = f"windows-{uuid.uuid4().hex}"
    return (
        RedisStore.from_url(server.url, namespace=namespace),
        RedisStore.from_url(server.url, namespace=namespace),
    )


async def test_two_workers_share_one_weekly_count_of_connection_requests(
    two_stores: tuple[Store, Store],
) -> None:
    fake = FakeConnectSafely(clock=MONDAY_NOON)
    for n in range(12):
        fake.add_profile(f"lead-{n}")
    refused: list[QuotaExceededError] = []

    async def work(client: AsyncClient, leads: range) -> None:
        for n in leads:
            try:
                await client.invitations.send(f"lead-{n}")
            except QuotaExceededError as error:
                refused.append(error)

    first, second = two_stores
    try:
        async with (
            fake.client(limits=LIMITS, store=first) as one,
            fake.client(limits=LIMITS, store=second) as two,
            anyio.create_task_group() as group,
        ):
            group.start_soon(work, one, range(0, 12, 2))
            group.start_soon(work, two, range(1, 12, 2))
    finally:
        await first.aclose()
        await second.aclose()
    assert len(fake.requests_to(CONNECT)) == 5 and len(fake.invitations) == 5
    assert len(refused) == 7
    assert all(error.response is None and error.action == "CONNECT" for error in refused)


async def test_two_workers_share_one_daily_count_of_profile_views(
    two_stores: tuple[Store, Store],
) -> None:
    fake = FakeConnectSafely(clock=MONDAY_NOON)
    fake.add_profile("jane-doe")
    first, second = two_stores
    try:
        async with (
            fake.client(limits=LIMITS, store=first) as one,
            fake.client(limits=LIMITS, store=second) as two,
        ):
            await one.profiles.get("jane-doe")
            await two.profiles.get("jane-doe")
            await one.profiles.visit("jane-doe")
            with pytest.raises(QuotaExceededError):
                await two.profiles.get("jane-doe")
            fake.clock.advance(12 * 3600)  # 00:00 UTC: a new day for both
            await two.profiles.get("jane-doe")
    finally:
        await first.aclose()
        await second.aclose()
    assert len(fake.requests_to("/linkedin/profile")) == 4
