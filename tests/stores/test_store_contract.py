"""The `Store` contract, run against every store (one suite, every implementation).

Each store is used directly here, with explicit times, so every rule of the interface
is checked without a client: the ledger's states, leases and retention, and the limits'
reservations, pauses, blocks and counts. `STORES` lists a factory per implementation;
shared stores add theirs (and skip cleanly where their server is missing).
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import anyio
import pytest

from connectsafely.stores import ClaimStatus, MemoryStore, SQLiteStore, Store
from connectsafely.stores._base import COUNT_KEPT

pytestmark = pytest.mark.anyio

T0 = 1_800_000_000.0  # epoch seconds; every test passes its own "now"

StoreFactory = Callable[..., Store]


def memory(tmp_path: Path, **options: float) -> Store:
    return MemoryStore(**options)


def sqlite(tmp_path: Path, **options: Any) -> Store:
    return SQLiteStore(tmp_path / "store.db", **options)


def redis(tmp_path: Path, *, server: Any, namespace: str, **options: float) -> Store:
    from connectsafely.stores import RedisStore

    return RedisStore.from_url(server.url, namespace=namespace, **options)


STORES: dict[str, StoreFactory] = {"memory": memory, "redis": redis, "sqlite": sqlite}


@pytest.fixture(params=sorted(STORES))
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> StoreFactory:
    factory = STORES[request.param]
    if request.param == "redis":
        backend = "anyio_backend" in request.fixturenames
        if backend and request.getfixturevalue("anyio_backend") != "asyncio":
            pytest.skip("RedisStore is asyncio-only (its Trio refusal: test_redis.py)")
        # One shared server; each test its own namespace, so nothing carries over.
        server = request.getfixturevalue("redis_server")
        namespace = f"contract-{uuid.uuid4().hex}"
        base = factory

        def factory(tmp_path: Path, **options: float) -> Store:
            return base(tmp_path, server=server, namespace=namespace, **options)

    def build(**options: float) -> Store:
        return factory(tmp_path, **options)

    return build


@pytest.fixture
async def store(make_store: StoreFactory) -> AsyncIterator[Store]:
    made = make_store(lease=120.0, ttl=3600.0)
    try:
        yield made
    finally:
        await made.aclose()


# -- the ledger ------------------------------------------------------------------------------


async def test_a_new_key_is_claimed_once(store: Store) -> None:
    first = await store.claim("k", "digest", T0)
    assert first.status is ClaimStatus.NEW and first.token and first.started_at == T0
    second = await store.claim("k", "digest", T0 + 1)
    assert second.status is ClaimStatus.IN_PROGRESS and second.token is None


async def test_a_delivered_key_replays_its_result(store: Store) -> None:
    claim = await store.claim("k", "d", T0)
    assert claim.token is not None
    await store.deliver("k", claim.token, '{"success": true}', T0 + 1)
    again = await store.claim("k", "d", T0 + 2)
    assert again.status is ClaimStatus.DELIVERED
    assert again.result == '{"success": true}' and again.started_at == T0


async def test_a_key_reused_for_another_request_is_a_mismatch(store: Store) -> None:
    await store.claim("k", "d1", T0)
    assert (await store.claim("k", "d2", T0 + 1)).status is ClaimStatus.MISMATCH


async def test_a_released_key_can_be_claimed_again(store: Store) -> None:
    claim = await store.claim("k", "d", T0)
    assert claim.token is not None
    await store.release("k", claim.token)
    assert (await store.claim("k", "d", T0 + 1)).status is ClaimStatus.NEW


async def test_release_with_a_stale_token_does_nothing(store: Store) -> None:
    await store.claim("k", "d", T0)
    await store.release("k", "not-the-token")
    assert (await store.claim("k", "d", T0 + 1)).status is ClaimStatus.IN_PROGRESS


async def test_an_expired_lease_is_taken_over_in_doubt(store: Store) -> None:
    first = await store.claim("k", "d", T0)
    taken = await store.claim("k", "d", T0 + 121)
    assert taken.status is ClaimStatus.IN_DOUBT
    assert taken.token and taken.token != first.token and taken.started_at == T0
    # The old holder lost it: its renewal fails, and the new holder's lease is fresh.
    assert first.token is not None
    assert await store.renew("k", first.token, T0 + 122) is False
    assert (await store.claim("k", "d", T0 + 122)).status is ClaimStatus.IN_PROGRESS


async def test_renewal_keeps_a_claim_alive(store: Store) -> None:
    claim = await store.claim("k", "d", T0)
    assert claim.token is not None
    assert await store.renew("k", claim.token, T0 + 100) is True
    assert (await store.claim("k", "d", T0 + 200)).status is ClaimStatus.IN_PROGRESS
    assert (await store.claim("k", "d", T0 + 221)).status is ClaimStatus.IN_DOUBT


async def test_a_doubted_key_is_taken_over_at_once_in_doubt(store: Store) -> None:
    claim = await store.claim("k", "d", T0)
    assert claim.token is not None
    await store.doubt("k", claim.token)
    again = await store.claim("k", "d", T0 + 1)
    assert again.status is ClaimStatus.IN_DOUBT and again.started_at == T0


async def test_delivered_entries_are_forgotten_after_the_ttl(store: Store) -> None:
    claim = await store.claim("k", "d", T0)
    assert claim.token is not None
    await store.deliver("k", claim.token, "{}", T0)
    assert (await store.claim("k", "d", T0 + 3599)).status is ClaimStatus.DELIVERED
    assert (await store.claim("k", "d", T0 + 3601)).status is ClaimStatus.NEW


async def test_deliver_records_even_after_the_claim_was_taken_over(store: Store) -> None:
    first = await store.claim("k", "d", T0)
    await store.claim("k", "d", T0 + 121)  # someone else, in doubt
    assert first.token is not None
    await store.deliver("k", first.token, '{"late": true}', T0 + 122)  # it did go out
    assert (await store.claim("k", "d", T0 + 123)).status is ClaimStatus.DELIVERED


async def test_an_in_progress_claim_says_when_its_lease_ends(store: Store) -> None:
    first = await store.claim("k", "d", T0)
    assert first.lease_until == T0 + 120
    held = await store.claim("k", "d", T0 + 1)
    assert held.status is ClaimStatus.IN_PROGRESS and held.lease_until == T0 + 120
    assert first.token is not None
    await store.renew("k", first.token, T0 + 50)
    assert (await store.claim("k", "d", T0 + 51)).lease_until == T0 + 170


async def test_peek_tells_what_a_claim_would_find_and_takes_nothing(store: Store) -> None:
    fresh = await store.peek("k", "d", T0)
    assert fresh is not None and fresh.status is ClaimStatus.NEW
    claim = await store.claim("k", "d", T0)
    assert claim.token is not None
    held = await store.peek("k", "d", T0 + 1)
    assert held is not None and held.status is ClaimStatus.IN_PROGRESS
    assert held.token is None and held.lease_until == T0 + 120
    mismatch = await store.peek("k", "other", T0 + 1)
    assert mismatch is not None and mismatch.status is ClaimStatus.MISMATCH
    expired = await store.peek("k", "d", T0 + 121)
    assert expired is not None and expired.status is ClaimStatus.IN_DOUBT
    assert expired.started_at == T0 and expired.token is None
    # Peeking took nothing over: the holder still renews, and a claim still sees it.
    assert await store.renew("k", claim.token, T0 + 100) is True
    assert (await store.claim("k", "d", T0 + 101)).status is ClaimStatus.IN_PROGRESS
    await store.deliver("k", claim.token, '{"success": true}', T0 + 102)
    done = await store.peek("k", "d", T0 + 103)
    assert done is not None and done.status is ClaimStatus.DELIVERED
    assert done.result == '{"success": true}' and done.started_at == T0
    gone = await store.peek("k", "d", T0 + 102 + 3601)  # past the ttl: forgotten
    assert gone is not None and gone.status is ClaimStatus.NEW


async def test_peek_sees_a_doubted_key_in_doubt(store: Store) -> None:
    claim = await store.claim("k", "d", T0)
    assert claim.token is not None
    await store.doubt("k", claim.token)
    seen = await store.peek("k", "d", T0 + 1)
    assert seen is not None and seen.status is ClaimStatus.IN_DOUBT
    assert (await store.claim("k", "d", T0 + 2)).status is ClaimStatus.IN_DOUBT


def test_the_default_lease_is_short(make_store: StoreFactory) -> None:
    """A dead holder's claim is noticed in seconds: 15 s, renewed every 5 s."""
    made = make_store()
    assert made.lease == 15.0


@pytest.mark.parametrize("key", ["with spaces", "ünïcødé ✉", "k" * 1024, "a|b:c/d\\e\n"])
async def test_keys_with_odd_characters_work(store: Store, key: str) -> None:
    claim = await store.claim(key, "d", T0)
    assert claim.status is ClaimStatus.NEW and claim.token is not None
    await store.deliver(key, claim.token, "{}", T0)
    assert (await store.claim(key, "d", T0)).status is ClaimStatus.DELIVERED
    assert (await store.claim(key + "x", "d", T0)).status is ClaimStatus.NEW


# -- limits -----------------------------------------------------------------------------------


async def test_reservations_space_calls_evenly(store: Store) -> None:
    slots = [await store.reserve("b", 0.5, 0.0, T0) for _ in range(4)]
    assert slots == [T0, T0 + 0.5, T0 + 1.0, T0 + 1.5]
    assert await store.reserve("other", 0.5, 0.0, T0) == T0  # buckets are separate


async def test_a_burst_tolerance_lets_calls_go_early(store: Store) -> None:
    slots = [await store.reserve("b", 1.0, 2.0, T0) for _ in range(4)]
    assert slots == [T0, T0, T0, T0 + 1.0]


async def test_pauses_never_shorten_and_say_when_they_start(store: Store) -> None:
    assert await store.paused_until(("key",)) == -math.inf
    assert await store.pause("key", T0 + 10) is True
    assert await store.pause("key", T0 + 5) is False
    assert await store.pause("key", T0 + 20) is True
    assert await store.pause("acct|MESSAGE", T0 + 30) is True
    assert await store.paused_until(("key",)) == T0 + 20
    assert await store.paused_until(("key", "acct|MESSAGE")) == T0 + 30


async def test_blocks_keep_the_latest_end_and_their_action(store: Store) -> None:
    assert await store.blocked("hold|a|CONNECT") is None
    await store.set_block("hold|a|CONNECT", T0 + 100, "CONNECT")
    await store.set_block("hold|a|CONNECT", T0 + 50, "CONNECT")
    assert await store.blocked("hold|a|CONNECT") == (T0 + 100, "CONNECT")
    await store.set_block("quota|a", T0 + 10, None)
    assert await store.blocked("quota|a") == (T0 + 10, None)


async def test_counts_stop_at_the_cap_and_give_back(store: Store) -> None:
    assert [await store.count("c", 2) for _ in range(3)] == [True, True, False]
    await store.uncount("c")
    assert await store.count("c", 2) is True
    assert await store.count("other", 2) is True


async def test_window_counters_count_apart_and_a_new_window_starts_at_zero(store: Store) -> None:
    # The client names each counter by its window's first day (a week's Monday).
    week, next_week = "connects|acct|2026-03-02", "connects|acct|2026-03-09"
    assert [await store.count(week, 3) for _ in range(4)] == [True, True, True, False]
    assert await store.count(next_week, 3) is True
    assert await store.count("views|acct|2026-03-02", 1) is True  # another count, same day
    assert await store.count("connects|other|2026-03-02", 3) is True  # another account
    await store.uncount(next_week)
    await store.uncount(next_week)  # never below zero
    assert [await store.count(next_week, 1) for _ in range(2)] == [True, False]


async def test_counting_at_once_never_passes_the_cap(
    store: Store, make_store: StoreFactory
) -> None:
    other = make_store()  # a second store on the same backend (its own, for memory)
    shared = not isinstance(store, MemoryStore)
    results: list[bool] = []

    async def one(target: Store) -> None:
        results.append(await target.count("connects|acct|2026-03-02", 15))

    try:
        async with anyio.create_task_group() as group:
            for n in range(40):
                group.start_soon(one, other if shared and n % 2 else store)
    finally:
        await other.aclose()
    assert results.count(True) == 15 and len(results) == 40


async def test_a_counter_is_kept_longer_than_a_week_then_forgotten(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert COUNT_KEPT > 7 * 24 * 3600
    assert await store.count("c", 1) is True
    if not isinstance(store, (MemoryStore, SQLiteStore)):  # Redis: its own clock, PEXPIRE
        kept = await store._client.pttl(store._key("count", "c"))  # type: ignore[attr-defined]
        assert kept >= (7 * 24 + 1) * 3600 * 1000
        return
    real = time.time()
    monkeypatch.setattr(time, "time", lambda: real + 7 * 24 * 3600 + 3600)
    await store.claim("sweep-1", "d", T0)  # SQLite sweeps in a claim, memory in a count
    assert await store.count("c", 1) is False  # a week and an hour later: still counted
    monkeypatch.setattr(time, "time", lambda: real + COUNT_KEPT + 3600)
    await store.claim("sweep-2", "d", T0 + 3600)
    assert await store.count("c", 1) is True  # forgotten: untouched for COUNT_KEPT


async def test_quiet_until_a_pause_or_block_is_recorded(store: Store) -> None:
    await store.refresh()
    assert store.quiet is True
    await store.pause("key", T0 + 10)
    await store.refresh()
    assert store.quiet is False


def test_lease_and_ttl_are_checked(make_store: StoreFactory) -> None:
    with pytest.raises(ValueError, match="lease"):
        make_store(lease=0)
    with pytest.raises(TypeError, match="ttl"):
        make_store(ttl="30d")  # type: ignore[arg-type]
