"""`RedisStore` against real ``redis-server`` processes.

Several stores (and several OS processes) share one server: claims, counts and pacing
slots stay exact. A server that dies, freezes or was never there fails each call with
`StoreError`, quickly, and through the client nothing is sent. The password in a URL
never shows. The contract every store keeps is in ``test_store_contract.py``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
import textwrap
import time
import traceback
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import redis
import redis.asyncio
import trio

import connectsafely
from connectsafely import AsyncClient
from connectsafely._errors import StoreError
from connectsafely.stores import ClaimStatus, RedisStore
from connectsafely.testing import FakeConnectSafely

from ._redis_server import RedisServer, free_port

pytestmark = pytest.mark.anyio

T0 = 1_800_000_000.0
ROOT = Path(__file__).resolve().parents[2]
Starter = Callable[..., RedisServer]


@pytest.fixture
def anyio_backend() -> str:
    """RedisStore is asyncio-only; its Trio refusal is tested with ``trio.run`` below."""
    return "asyncio"


@pytest.fixture
def namespace() -> str:
    return f"t-{uuid.uuid4().hex}"


@pytest.fixture
async def store(redis_server: RedisServer, namespace: str) -> AsyncIterator[RedisStore]:
    made = RedisStore.from_url(redis_server.url, namespace=namespace)
    try:
        yield made
    finally:
        await made.aclose()


def admin(server: RedisServer) -> redis.Redis:
    """A synchronous client for looking at the server from the outside."""
    return redis.Redis(host="127.0.0.1", port=server.port, password=server.password)


# -- shared by several stores and processes -----------------------------------------------------


async def test_many_stores_claim_each_key_exactly_once(
    redis_server: RedisServer, namespace: str
) -> None:
    stores = [RedisStore.from_url(redis_server.url, namespace=namespace) for _ in range(5)]
    try:
        keys = [f"key-{i}" for i in range(40)]
        claims = await asyncio.gather(
            *(store.claim(key, "d", T0) for key in keys for store in stores for _ in range(2))
        )
        new = [c for c in claims if c.status is ClaimStatus.NEW]
        assert len(new) == len(keys)
        assert all(c.status is ClaimStatus.IN_PROGRESS for c in claims if c not in new)
    finally:
        for store in stores:
            await store.aclose()


async def test_many_stores_never_count_past_the_cap_and_share_pacing(
    redis_server: RedisServer, namespace: str
) -> None:
    stores = [RedisStore.from_url(redis_server.url, namespace=namespace) for _ in range(5)]
    try:
        counted = await asyncio.gather(*(s.count("c", 17) for s in stores for _ in range(20)))
        assert sum(counted) == 17
        slots = await asyncio.gather(*(s.reserve("b", 0.25, 0.0, T0) for s in stores * 10))
        assert sorted(slots) == [T0 + 0.25 * i for i in range(50)]
    finally:
        for store in stores:
            await store.aclose()


_WORKER = textwrap.dedent(
    """
    import asyncio, json, sys
    from connectsafely.stores import ClaimStatus, RedisStore

    T0 = 1_800_000_000.0

    async def main(url, namespace):
        store = RedisStore.from_url(url, namespace=namespace)
        try:
            claimed = []
            for i in range(60):
                claim = await store.claim(f"key-{i}", "d", T0)
                if claim.status is ClaimStatus.NEW:
                    claimed.append(i)
            counted = sum([await store.count("c", 25) for _ in range(30)])
            slots = [await store.reserve("b", 0.5, 0.0, T0) for _ in range(20)]
        finally:
            await store.aclose()
        print(json.dumps({"claimed": claimed, "counted": counted, "slots": slots}))

    asyncio.run(main(sys.argv[1], sys.argv[2]))
    """
)


def test_processes_share_claims_counts_and_slots(redis_server: RedisServer) -> None:
    namespace = f"procs-{uuid.uuid4().hex}"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, redis_server.url, namespace],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        for _ in range(4)
    ]
    outputs = []
    try:
        for worker in workers:
            out, err = worker.communicate(timeout=60)
            assert worker.returncode == 0, err.decode()
            outputs.append(json.loads(out))
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.communicate()
    claimed = sorted(i for output in outputs for i in output["claimed"])
    assert claimed == list(range(60))  # every key claimed, and by exactly one process
    assert sum(output["counted"] for output in outputs) == 25
    slots = sorted(slot for output in outputs for slot in output["slots"])
    assert slots == [T0 + 0.5 * i for i in range(80)]  # unique, evenly spaced


# -- one round trip per step --------------------------------------------------------------------


async def test_each_step_is_one_round_trip_and_a_send_is_two(
    store: RedisStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = store._client
    sent: list[str] = []
    execute = client.execute_command

    async def counting(*args: Any, **options: Any) -> Any:
        sent.append(str(args[0]))
        return await execute(*args, **options)

    await store.claim("warm", "d", T0)  # the first call of a script loads it (NOSCRIPT)
    monkeypatch.setattr(client, "execute_command", counting)

    claim = await store.claim("k", "d", T0)
    assert claim.token is not None
    await store.deliver("k", claim.token, "{}", T0)
    assert sent == ["EVALSHA", "EVALSHA"]  # the happy path of a send

    steps: list[Callable[[], Awaitable[object]]] = [
        lambda: store.claim("k", "d", T0),
        lambda: store.renew("k", "t", T0),
        lambda: store.release("k", "t"),
        lambda: store.doubt("k", "t"),
        lambda: store.reserve("b", 1.0, 0.0, T0),
        lambda: store.pause("p", T0),
        lambda: store.paused_until(("p", "q", "r")),
        lambda: store.set_block("s", T0, "CONNECT"),
        lambda: store.blocked("s"),
        lambda: store.count("c", 3),
        lambda: store.uncount("c"),
        store.refresh,
    ]
    for step in steps:
        sent.clear()
        await step()
        assert len(sent) == 1, sent


async def test_a_flushed_or_restarted_server_gets_every_script_back_at_once(
    redis_server: RedisServer, store: RedisStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert await store.count("c", 5) is True
    with admin(redis_server) as inspect:
        inspect.script_flush()
    client = store._client
    sent: list[str] = []
    execute = client.execute_command

    async def counting(*args: Any, **options: Any) -> Any:
        sent.append(str(args[0]))
        return await execute(*args, **options)

    monkeypatch.setattr(client, "execute_command", counting)
    assert await store.count("c", 5) is True  # NOSCRIPT, load all (one pipeline), again
    assert sent == ["EVALSHA", "EVALSHA"]  # the pipeline goes around execute_command
    sent.clear()
    claim = await store.claim("k", "d", T0)
    assert claim.token is not None
    await store.deliver("k", claim.token, "{}", T0)
    assert sent == ["EVALSHA", "EVALSHA"]  # every script is back


async def test_pending_claims_keep_their_lease_in_the_value(
    redis_server: RedisServer, store: RedisStore, namespace: str
) -> None:
    claim = await store.claim("k", "d", time.time())
    with admin(redis_server) as inspect:
        key = f"{namespace}:send:k"
        entry = inspect.hgetall(key)
        assert entry[b"state"] == b"pending" and float(entry[b"lease"]) > time.time()
        assert inspect.ttl(key) > store.ttl  # the key outlives the lease: seen, not lost
        assert claim.token is not None
        await store.deliver("k", claim.token, "{}", time.time())
        assert 0 < inspect.ttl(key) <= store.ttl  # delivered: kept ttl seconds


async def test_a_pause_or_block_here_is_not_quiet_at_once_elsewhere_after_refresh(
    redis_server: RedisServer, store: RedisStore, namespace: str
) -> None:
    other = RedisStore.from_url(redis_server.url, namespace=namespace)
    try:
        await store.refresh()
        await other.refresh()
        assert store.quiet and other.quiet
        await store.set_block("hold|a|CONNECT", time.time() + 30, "CONNECT")
        assert store.quiet is False  # this process knows at once
        assert other.quiet is True  # another one on its next refresh
        await other.refresh()
        assert other.quiet is False
    finally:
        await other.aclose()


async def test_quiet_again_once_every_pause_is_long_over(
    redis_server: RedisServer, store: RedisStore, namespace: str
) -> None:
    await store.pause("key", time.time() + 1)
    with admin(redis_server) as inspect:
        assert 0 < inspect.pttl(f"{namespace}:live") <= 62_000  # the end plus a minute
        inspect.delete(f"{namespace}:live")  # as when its time comes
    await store.refresh()
    assert store.quiet is True


# -- a server that is gone ----------------------------------------------------------------------


def every_step(store: RedisStore) -> list[Callable[[], Awaitable[object]]]:
    return [
        lambda: store.claim("k", "d", T0),
        lambda: store.renew("k", "t", T0),
        lambda: store.deliver("k", "t", "{}", T0),
        lambda: store.release("k", "t"),
        lambda: store.doubt("k", "t"),
        lambda: store.reserve("b", 1.0, 0.0, T0),
        lambda: store.pause("p", T0),
        lambda: store.paused_until(("p",)),
        lambda: store.set_block("s", T0, None),
        lambda: store.blocked("s"),
        lambda: store.count("c", 3),
        lambda: store.uncount("c"),
        store.refresh,
    ]


async def assert_each_step_fails_fast(store: RedisStore, where: str, within: float) -> None:
    for step in every_step(store):
        began = time.monotonic()
        with pytest.raises(StoreError, match=f"RedisStore at {where}") as caught:
            await step()
        assert time.monotonic() - began < within, caught.value


async def test_no_server_fails_every_call_quickly() -> None:
    port = free_port()
    store = RedisStore.from_url(f"redis://127.0.0.1:{port}/3")
    try:
        await assert_each_step_fails_fast(store, f"127.0.0.1:{port}/3", within=2.0)
    finally:
        await store.aclose()


async def test_a_server_killed_mid_run_fails_every_call_quickly(
    make_redis_server: Starter,
) -> None:
    server = make_redis_server()
    store = RedisStore.from_url(server.url)
    try:
        assert (await store.claim("k", "d", T0)).status is ClaimStatus.NEW
        server.kill()
        await assert_each_step_fails_fast(store, f"127.0.0.1:{server.port}/0", within=2.0)
    finally:
        await store.aclose()


async def test_a_frozen_server_times_out_and_the_store_recovers(
    make_redis_server: Starter,
) -> None:
    server = make_redis_server()
    store = RedisStore.from_url(server.url, timeout=0.3)
    try:
        assert await store.count("c", 5) is True
        server.freeze()  # accepts connections, answers nothing
        try:
            began = time.monotonic()
            with pytest.raises(StoreError, match="Timeout"):
                await store.count("c", 5)
            assert time.monotonic() - began < 2.0
        finally:
            server.thaw()
        assert await store.count("c", 5) is True  # a new connection, as before
    finally:
        await store.aclose()


async def test_through_the_client_nothing_is_sent_without_the_store() -> None:
    fake = FakeConnectSafely()
    store = RedisStore.from_url(f"redis://127.0.0.1:{free_port()}/0", connect_timeout=1.0)
    try:
        async with fake.client(store=store) as client:
            with pytest.raises(StoreError):
                await client.conversations.send(
                    "Hi", recipient_profile_id="jane-doe", idempotency_key="k"
                )
    finally:
        await store.aclose()
    assert fake.sends == []
    assert fake.requests == []


async def test_through_the_client_nothing_is_sent_once_the_server_dies(
    make_redis_server: Starter,
) -> None:
    server = make_redis_server()
    fake = FakeConnectSafely()
    async with fake.client(store=server.url) as client:
        await client.conversations.send("One", recipient_profile_id="jane-doe")
        server.kill()
        with pytest.raises(StoreError):
            await client.conversations.send(
                "Two", recipient_profile_id="jane-doe", idempotency_key="k"
            )
    assert [s.text for s in fake.sends] == ["One"]


# -- the client's own store, the caller's store -------------------------------------------------


def connected_clients(server: RedisServer) -> int:
    with admin(server) as inspect:
        return int(inspect.info("clients")["connected_clients"]) - 1  # minus this one


async def test_a_client_given_a_url_opens_and_closes_its_own_store(
    make_redis_server: Starter,
) -> None:
    server = make_redis_server()
    fake = FakeConnectSafely()
    async with fake.client(store=server.url) as client:
        store = client._core.pool.limiter.state
        assert isinstance(store, RedisStore)
        await client.conversations.send("Hi", recipient_profile_id="jane-doe")
        assert connected_clients(server) >= 1
    assert connected_clients(server) == 0
    assert [s.text for s in fake.sends] == ["Hi"]


async def test_a_store_from_a_url_connects_no_slower_than_the_client(
    redis_server: RedisServer,
) -> None:
    for timeout, expected in ((0.5, 0.5), (30.0, 5.0)):
        async with AsyncClient(api_key="k" * 32, store=redis_server.url, timeout=timeout) as c:
            store = c._core.pool.limiter.state
            assert isinstance(store, RedisStore)
            options = store._client.connection_pool.connection_kwargs
            assert options["socket_connect_timeout"] == expected
            assert options["socket_timeout"] == 5.0


async def test_a_store_passed_in_stays_open_after_the_client_closes(
    redis_server: RedisServer, namespace: str
) -> None:
    client = redis.asyncio.Redis(host="127.0.0.1", port=redis_server.port)
    try:
        store = RedisStore(client, namespace=namespace)
        async with FakeConnectSafely().client(store=store) as sdk:
            await sdk.conversations.send("Hi", recipient_profile_id="jane-doe")
        await store.aclose()  # not ours to close either
        assert await store.count("c", 1) is True
        assert await client.ping()
    finally:
        await client.aclose()


# -- the password never shows -------------------------------------------------------------------

SECRET = "s3cret-pw-do-not-leak"


def everything_said(error: BaseException, caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join([str(error), repr(error), *traceback.format_exception(error), caplog.text])


async def test_the_password_never_shows(
    make_redis_server: Starter, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server = make_redis_server(password=SECRET)
    store = RedisStore.from_url(server.url, namespace="pw")
    try:
        assert SECRET not in repr(store)
        assert repr(store) == f"RedisStore(127.0.0.1:{server.port}/0, namespace='pw')"
        assert await store.count("c", 1) is True  # it does authenticate
    finally:
        await store.aclose()

    wrong = f"{SECRET}-but-wrong"
    for url in (
        f"redis://:{wrong}@127.0.0.1:{server.port}/0",  # refused by the server
        f"redis://:{wrong}@127.0.0.1:{free_port()}/0",  # nobody there
        f"redis://user:{wrong}@127.0.0.1:{server.port}/0",
    ):
        store = RedisStore.from_url(url)
        try:
            assert SECRET not in repr(store)
            with pytest.raises(StoreError) as caught:
                await store.claim("k", "d", T0)
            assert SECRET not in everything_said(caught.value, caplog)
            assert "127.0.0.1:" in str(caught.value)
        finally:
            await store.aclose()


async def test_a_client_with_a_password_url_does_not_show_it(
    make_redis_server: Starter, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server = make_redis_server(password=SECRET)
    fake = FakeConnectSafely()
    url = f"redis://:{SECRET}-wrong@127.0.0.1:{server.port}/0"
    async with fake.client(store=url) as client:
        assert SECRET not in repr(client._core.pool.limiter.state)
        with pytest.raises(StoreError) as caught:
            await client.conversations.send("Hi", recipient_profile_id="jane-doe")
    assert SECRET not in everything_said(caught.value, caplog)
    assert fake.sends == []


# -- asyncio only, and the extra ----------------------------------------------------------------


def test_under_trio_every_call_says_asyncio_only(redis_server: RedisServer) -> None:
    fake = FakeConnectSafely()

    async def main() -> list[str]:
        store = RedisStore.from_url(redis_server.url, namespace="trio")
        said = []
        try:
            for step in every_step(store):
                with pytest.raises(StoreError, match="only under asyncio") as caught:
                    await step()
                said.append(str(caught.value))
        finally:
            await store.aclose()
        async with fake.client(store=redis_server.url) as client:
            with pytest.raises(connectsafely.ConnectSafelyError, match="only under asyncio"):
                await client.conversations.send(
                    "Hi", recipient_profile_id="jane-doe", idempotency_key="k"
                )
        return said

    said = trio.run(main)
    assert "cannot run under trio" in said[0]
    assert fake.sends == []


def test_without_redis_installed_the_error_names_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in [m for m in sys.modules if m == "redis" or m.startswith("redis.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "redis", None)  # import redis -> ImportError
    with pytest.raises(ImportError, match=r"connectsafely\[redis\]"):
        RedisStore.from_url("redis://127.0.0.1:6379/0")
    with pytest.raises(ImportError, match=r"connectsafely\[redis\]"):
        RedisStore(object())  # type: ignore[arg-type]


def test_a_synchronous_client_is_refused() -> None:
    with redis.Redis() as sync, pytest.raises(TypeError, match=r"redis\.asyncio\.Redis"):
        RedisStore(sync)  # type: ignore[arg-type]


def test_import_does_not_need_redis() -> None:
    code = (
        "import sys; sys.modules['redis'] = None; "
        "import connectsafely.stores as s; from connectsafely.stores import RedisStore; "
        "print('ok')"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    assert done.stdout.strip() == "ok", done.stderr
