"""The webhook-event part of the `Store` contract, run against every store.

Uses the same `make_store` fixture (every store in `STORES`) as `test_store_contract`,
so a store added there is checked here too: claim, renew, finish, release, expiry, and
concurrent claims.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import anyio
import pytest

from connectsafely.stores import EventStatus, Store
from tests.stores.test_store_contract import StoreFactory, make_store  # noqa: F401 - fixture

pytestmark = pytest.mark.anyio

T0 = 1_800_000_000.0
LEASE = 15.0


@pytest.fixture
async def store(make_store: StoreFactory) -> AsyncIterator[Store]:  # noqa: F811 - the fixture
    made = make_store(lease=120.0, ttl=3600.0)
    try:
        yield made
    finally:
        await made.aclose()


async def test_a_new_event_is_claimed_and_a_second_claim_sees_it_in_progress(
    store: Store,
) -> None:
    assert await store.claim_event("e", "t1", T0, LEASE) is EventStatus.CLAIMED
    assert await store.claim_event("e", "t2", T0 + 1, LEASE) is EventStatus.IN_PROGRESS


async def test_a_finished_event_is_handled_until_the_ttl_passes(store: Store) -> None:
    await store.claim_event("e", "t1", T0, LEASE)
    await store.finish_event("e", "t1", T0 + 1)
    assert await store.claim_event("e", "t2", T0 + 2, LEASE) is EventStatus.HANDLED
    assert await store.claim_event("e", "t2", T0 + 3600, LEASE) is EventStatus.HANDLED
    assert await store.claim_event("e", "t3", T0 + 3601.5, LEASE) is EventStatus.CLAIMED


async def test_a_released_event_can_be_claimed_again(store: Store) -> None:
    await store.claim_event("e", "t1", T0, LEASE)
    await store.release_event("e", "t1")
    assert await store.claim_event("e", "t2", T0 + 1, LEASE) is EventStatus.CLAIMED


async def test_release_with_another_token_does_nothing(store: Store) -> None:
    await store.claim_event("e", "t1", T0, LEASE)
    await store.release_event("e", "stale")
    assert await store.claim_event("e", "t2", T0 + 1, LEASE) is EventStatus.IN_PROGRESS


async def test_release_never_forgets_a_handled_event(store: Store) -> None:
    await store.claim_event("e", "t1", T0, LEASE)
    await store.finish_event("e", "t1", T0 + 1)
    await store.release_event("e", "t1")
    assert await store.claim_event("e", "t2", T0 + 2, LEASE) is EventStatus.HANDLED


async def test_an_expired_claim_is_taken_over(store: Store) -> None:
    await store.claim_event("e", "t1", T0, LEASE)
    assert await store.claim_event("e", "t2", T0 + LEASE + 0.5, LEASE) is EventStatus.CLAIMED
    assert not await store.renew_event("e", "t1", T0 + LEASE + 1, LEASE)


async def test_renewal_keeps_a_claim_alive(store: Store) -> None:
    await store.claim_event("e", "t1", T0, LEASE)
    assert await store.renew_event("e", "t1", T0 + 10, LEASE)
    assert await store.claim_event("e", "t2", T0 + 20, LEASE) is EventStatus.IN_PROGRESS
    assert not await store.renew_event("unknown", "t1", T0 + 20, LEASE)


async def test_finish_records_even_after_the_claim_was_taken_over(store: Store) -> None:
    await store.claim_event("e", "t1", T0, LEASE)
    await store.claim_event("e", "t2", T0 + LEASE + 1, LEASE)
    await store.finish_event("e", "t1", T0 + LEASE + 2)  # the first handler did finish
    assert await store.claim_event("e", "t3", T0 + LEASE + 3, LEASE) is EventStatus.HANDLED


async def test_events_and_ledger_keys_do_not_collide(store: Store) -> None:
    claim = await store.claim("k", "digest", T0)
    assert claim.token is not None
    assert await store.claim_event("k", "t1", T0, LEASE) is EventStatus.CLAIMED
    await store.finish_event("k", "t1", T0 + 1)
    assert (await store.claim("k", "digest", T0 + 2)).status.name == "IN_PROGRESS"


@pytest.mark.parametrize(
    "key", ["urn:li:messagingMessage:2-YWJj/ZGVm+Z2hp==", "é ü \u2603", "k" * 600]
)
async def test_event_keys_with_odd_characters_work(store: Store, key: str) -> None:
    assert await store.claim_event(key, "t", T0, LEASE) is EventStatus.CLAIMED
    await store.finish_event(key, "t", T0)
    assert await store.claim_event(key, "u", T0 + 1, LEASE) is EventStatus.HANDLED


async def test_many_concurrent_claims_let_exactly_one_through(store: Store) -> None:
    results: list[EventStatus] = []

    async def claim(n: int) -> None:
        results.append(await store.claim_event("e", f"t{n}", T0, LEASE))

    async with anyio.create_task_group() as group:
        for n in range(20):
            group.start_soon(claim, n)
    assert results.count(EventStatus.CLAIMED) == 1
    assert results.count(EventStatus.IN_PROGRESS) == 19
