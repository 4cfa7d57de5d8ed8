"""Cancellation and client lifecycle.

Cancelling a call (``move_on_after``, ``fail_after``, a task group's cancel scope) while
its request is in flight or while it waits to retry returns promptly and leaves the
client usable with no connection checked out; a thousand such cancellations leak
neither connections nor memory. A client finalised without being closed only warns,
a closed client and a client used from another event loop fail clearly, before any
request is made.
"""

from __future__ import annotations

import functools
import gc
import threading
import time
import tracemalloc
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

import connectsafely
from connectsafely import AsyncClient, ConnectSafelyError, _retry
from connectsafely.testing import FakeConnectSafely
from tests._support import SEND, UPLOAD, messages_path

pytestmark = pytest.mark.anyio

POOL_TIMEOUT = httpx.Timeout(5.0, pool=0.5)


class Backoffs:
    """Real, cancellable retry sleeps that count how many calls are waiting in one."""

    def __init__(self) -> None:
        self.entered = 0
        self.waiting = 0

    async def sleep(self, seconds: float) -> None:
        self.entered += 1
        self.waiting += 1
        try:
            await anyio.sleep(seconds)
        finally:
            self.waiting -= 1


@pytest.fixture
def backoffs(monkeypatch: pytest.MonkeyPatch) -> Backoffs:
    """Replace the recorded retry sleeps of the `sleeps` fixture with real ones."""
    counter = Backoffs()
    monkeypatch.setattr(_retry, "sleep", counter.sleep)
    return counter


async def _wait_for(condition: Callable[[], bool]) -> None:
    """Poll ``condition`` (state in the fake or the sleep counter, set from elsewhere)."""
    with anyio.fail_after(5):
        while not condition():  # noqa: ASYNC110 - the state has no event to wait on
            await anyio.sleep(0.005)


def _limited_client(fake: FakeConnectSafely, base_url: str, http: httpx.AsyncClient) -> AsyncClient:
    return AsyncClient(
        api_key=fake.api_key, base_url=base_url, http_client=http, timeout=POOL_TIMEOUT
    )


@pytest.fixture
async def one_connection_client(
    fake: FakeConnectSafely, loopback: Any
) -> AsyncIterator[AsyncClient]:
    """Loopback client with ONE connection and a 0.5 s pool timeout: a leak shows."""
    server, app = loopback
    app.target = fake
    async with (
        httpx.AsyncClient(limits=httpx.Limits(max_connections=1)) as http,
        _limited_client(fake, server.base_url, http) as client,
    ):
        yield client


@pytest.fixture
def conversation_urn(fake: FakeConnectSafely) -> str:
    conversation = fake.add_conversation(recipient_profile_id="jordan-lee")
    fake.seed_messages(conversation, 3)
    return conversation.urn


Call = Callable[[AsyncClient, str, Path], Awaitable[object]]


async def _send(client: AsyncClient, urn: str, tmp_path: Path) -> object:
    return await client.conversations.send("Hello", conversation_urn=urn)


async def _messages(client: AsyncClient, urn: str, tmp_path: Path) -> object:
    return [m async for m in client.conversations.messages(urn)]


async def _upload(client: AsyncClient, urn: str, tmp_path: Path) -> object:
    file = tmp_path / "report.pdf"
    if not file.exists():
        file.write_bytes(b"%PDF" * 50_000)  # several chunks, streamed from disk
    return await client.attachments.upload(file)


CALLS: dict[str, tuple[Call, Callable[[str], str]]] = {
    "send": (_send, lambda urn: SEND),
    "messages": (_messages, messages_path),
    "upload": (_upload, lambda urn: UPLOAD),
}


async def _still_usable(client: AsyncClient, call: Call, urn: str, tmp_path: Path) -> None:
    with anyio.fail_after(5):
        for _ in range(2):
            await call(client, urn, tmp_path)


# -- one cancellation at a time ----------------------------------------------------------


@pytest.mark.parametrize("how", ["move_on_after", "fail_after", "task_group_cancel"])
@pytest.mark.parametrize("name", list(CALLS))
async def test_cancelling_mid_request_returns_promptly_and_leaves_the_client_usable(
    one_connection_client: AsyncClient,
    fake: FakeConnectSafely,
    conversation_urn: str,
    tmp_path: Path,
    name: str,
    how: str,
) -> None:
    call, path = CALLS[name]
    fake.delay_next(0.5, path=path(conversation_urn))
    started = time.monotonic()
    if how == "move_on_after":
        with anyio.move_on_after(0.1) as scope:
            await call(one_connection_client, conversation_urn, tmp_path)
        assert scope.cancelled_caught
    elif how == "fail_after":
        with pytest.raises(TimeoutError), anyio.fail_after(0.1):
            await call(one_connection_client, conversation_urn, tmp_path)
    else:
        async with anyio.create_task_group() as group:
            group.start_soon(call, one_connection_client, conversation_urn, tmp_path)
            await _wait_for(lambda: len(fake.requests) == 1)
            group.cancel_scope.cancel()
    assert time.monotonic() - started < 0.45, "cancellation did not wait for the response"
    assert len(fake.requests) == 1
    await _still_usable(one_connection_client, call, conversation_urn, tmp_path)


@pytest.mark.real_sleep
@pytest.mark.parametrize("name", list(CALLS))
async def test_cancelling_during_backoff_returns_promptly_and_leaves_the_client_usable(
    one_connection_client: AsyncClient,
    fake: FakeConnectSafely,
    conversation_urn: str,
    tmp_path: Path,
    backoffs: Backoffs,
    name: str,
) -> None:
    call, path = CALLS[name]
    fake.fail_next(503, headers={"Retry-After": "30"}, path=path(conversation_urn))
    started = time.monotonic()
    async with anyio.create_task_group() as group:
        group.start_soon(call, one_connection_client, conversation_urn, tmp_path)
        await _wait_for(lambda: backoffs.waiting == 1)
        group.cancel_scope.cancel()
    assert time.monotonic() - started < 2
    assert backoffs.waiting == 0
    assert len(fake.requests) == 1, "the retry was never sent"
    await _still_usable(one_connection_client, call, conversation_urn, tmp_path)


@pytest.mark.real_sleep
async def test_cancelling_one_call_does_not_disturb_its_neighbours(
    fake: FakeConnectSafely, loopback: Any, backoffs: Backoffs
) -> None:
    server, app = loopback
    app.target = fake
    async with (
        httpx.AsyncClient(limits=httpx.Limits(max_connections=4)) as http,
        _limited_client(fake, server.base_url, http) as client,
    ):
        results: list[object] = []

        async def doomed() -> None:
            with anyio.move_on_after(0.1):
                await client.conversations.send("doomed", recipient_profile_id="jane-doe")

        async def fine(n: int) -> None:
            results.append(await client.conversations.send(f"ok {n}", recipient_profile_id="ana"))

        fake.delay_next(0.5, path=SEND)
        with anyio.fail_after(5):
            async with anyio.create_task_group() as group:
                group.start_soon(doomed)
                await _wait_for(lambda: len(fake.requests) == 1)
                for n in range(3):
                    group.start_soon(fine, n)
        assert len(results) == 3


async def test_cancelling_calls_queued_for_a_request_slot_frees_every_slot(
    fake: FakeConnectSafely,
) -> None:
    # Calls beyond max_concurrent_requests wait in front of the pool; cancelling both
    # the ones on the wire and the ones waiting must give every slot back.
    async with fake.client(max_concurrent_requests=4) as client:

        async def send(n: int) -> None:
            await client.conversations.send(f"m{n}", recipient_profile_id="jane-doe")

        fake.delay_next(5.0, count=4, path=SEND)
        async with anyio.create_task_group() as group:
            for n in range(10):
                group.start_soon(send, n)
            await _wait_for(lambda: len(fake.requests) == 4)
            await anyio.sleep(0.05)
            assert len(fake.requests) == 4, "only four calls may be on the wire"
            group.cancel_scope.cancel()
        with anyio.fail_after(2):
            async with anyio.create_task_group() as group:
                for n in range(4):
                    group.start_soon(send, n)
    assert len(fake.sends) == 4


# -- a thousand cancellations ----------------------------------------------------------------

# Batches of 50 concurrent calls: httpcore's pool bookkeeping grows with the square of
# its connections, and at 100 a batch can take seconds just to get its requests out.
BATCH = 50
BATCHES = 20  # alternately cancelled mid-request and mid-backoff: 1,000 cancellations
SERVER_DELAY = 0.4


def _at_least(items: list[Any], count: int) -> bool:
    return len(items) >= count


async def _cancel_batches(
    client: AsyncClient,
    fake: FakeConnectSafely,
    backoffs: Backoffs,
    urn: str,
    batches: int,
) -> int:
    """Start BATCH sends at once, cancel them all in flight or in backoff; repeat."""

    async def reply(text: str) -> None:
        await client.conversations.send(text, conversation_urn=urn)

    cancelled = 0
    for n in range(batches):
        mid_backoff = n % 2 == 1
        if mid_backoff:
            fake.fail_next(503, count=BATCH, headers={"Retry-After": "30"}, path=SEND)
            ready: Callable[[], bool] = lambda: backoffs.waiting == BATCH  # noqa: E731
        else:
            fake.delay_next(SERVER_DELAY, count=BATCH, path=SEND)
            ready = functools.partial(_at_least, fake.requests, len(fake.requests) + BATCH)
        with anyio.fail_after(10):
            async with anyio.create_task_group() as group:
                for i in range(BATCH):
                    group.start_soon(reply, f"m{i}")
                await _wait_for(ready)
                group.cancel_scope.cancel()
        cancelled += BATCH
        assert backoffs.waiting == 0
    return cancelled


@pytest.mark.real_sleep
async def test_a_thousand_cancellations_leave_no_connection_checked_out(
    fake: FakeConnectSafely, loopback: Any, backoffs: Backoffs
) -> None:
    server, app = loopback
    app.target = fake
    conversation = fake.add_conversation(recipient_profile_id="jordan-lee")
    limits = httpx.Limits(max_connections=BATCH, max_keepalive_connections=BATCH)
    async with (
        httpx.AsyncClient(limits=limits) as http,
        _limited_client(fake, server.base_url, http) as client,
    ):
        cancelled = await _cancel_batches(client, fake, backoffs, conversation.urn, BATCHES)
        assert cancelled == 1000
        await anyio.sleep(SERVER_DELAY + 0.1)  # the fake finishes what it was delaying
        fake.clear_faults()
        sent_before = len(fake.sends)

        # All BATCH connections can be used at once: a connection left checked out by
        # any cancelled call would make one of these wait 0.5 s for the pool and fail.
        async def reply(n: int) -> None:
            await client.conversations.send(f"after {n}", conversation_urn=conversation.urn)

        with anyio.fail_after(10):
            async with anyio.create_task_group() as group:
                for n in range(BATCH):
                    group.start_soon(reply, n)
        assert len(fake.sends) - sent_before == BATCH
    gc.collect()
    live = [o for o in gc.get_objects() if type(o).__name__ == "AsyncHTTPConnection"]
    assert live == [], "closing the client released every connection"


# tracemalloc attributes each allocation to the frame that made it: drop the fake's
# (its recorded requests and sends) and the test machinery's.
_CLIENT_SIDE = [
    tracemalloc.Filter(False, "*/connectsafely/testing/*"),
    tracemalloc.Filter(False, "*/tests/*"),
    tracemalloc.Filter(False, "*/_pytest/*"),
    tracemalloc.Filter(False, "*/pluggy/*"),
    tracemalloc.Filter(False, "<frozen importlib._bootstrap*>"),
    tracemalloc.Filter(False, tracemalloc.__file__),
]
MAX_GROWTH = 100_000  # bytes over the last 500 cancellations: ~200 bytes each at most


@pytest.mark.real_sleep
async def test_a_thousand_cancellations_do_not_grow_memory(
    fake: FakeConnectSafely, backoffs: Backoffs
) -> None:
    # In-process, so only this process's client side is traced (no server thread):
    # the pipeline, retries, the fake transport and the async library's bookkeeping.
    conversation = fake.add_conversation(recipient_profile_id="jordan-lee")

    def forget() -> None:
        fake.requests.clear()
        fake.sends.clear()
        conversation.messages.clear()
        gc.collect()

    async with fake.client(timeout=5.0, max_concurrent_requests=None) as client:
        tracemalloc.start(1)
        try:
            # The first half warms caches and lazy imports; traced, so objects it
            # leaves in place are in both snapshots and do not count as growth.
            await _cancel_batches(client, fake, backoffs, conversation.urn, BATCHES // 2)
            forget()
            before = tracemalloc.take_snapshot().filter_traces(_CLIENT_SIDE)
            await _cancel_batches(client, fake, backoffs, conversation.urn, BATCHES // 2)
            forget()
            after = tracemalloc.take_snapshot().filter_traces(_CLIENT_SIDE)
        finally:
            tracemalloc.stop()
    growth = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    top = after.compare_to(before, "lineno")[:5]
    print(f"\nmemory growth over the last 500 cancellations: {growth} bytes")
    assert growth < MAX_GROWTH, f"grew {growth} bytes: {top}"


# -- lifecycle ------------------------------------------------------------------------------


def test_finalizer_only_warns_and_never_schedules_a_close(
    fake: FakeConnectSafely, monkeypatch: pytest.MonkeyPatch
) -> None:
    closes: list[str] = []
    original = httpx.AsyncClient.aclose

    async def recording_aclose(self: httpx.AsyncClient) -> None:
        closes.append(threading.current_thread().name)
        await original(self)

    monkeypatch.setattr(httpx.AsyncClient, "aclose", recording_aclose)

    async def use_and_drop() -> None:
        client = fake.client()
        await client.conversations.send("hi", recipient_profile_id="jane-doe")
        with pytest.warns(ResourceWarning, match="Unclosed"):
            del client
            gc.collect()
        # Give anything the finaliser might have scheduled a chance to run.
        for _ in range(5):
            await anyio.lowlevel.checkpoint()

    anyio.run(use_and_drop)
    assert closes == []


def test_finalizer_in_a_thread_without_an_event_loop_only_warns(fake: FakeConnectSafely) -> None:
    clients = []

    async def use() -> None:
        client = fake.client()
        await client.conversations.send("hi", recipient_profile_id="jane-doe")
        clients.append(client)

    anyio.run(use)
    caught: list[warnings.WarningMessage] = []
    errors: list[BaseException] = []

    def finalise() -> None:
        try:
            with warnings.catch_warnings(record=True) as record:
                warnings.simplefilter("always")
                clients.clear()
                gc.collect()
            caught.extend(record)
        except BaseException as error:  # pragma: no cover - the failure being tested
            errors.append(error)

    thread = threading.Thread(target=finalise)
    thread.start()
    thread.join()
    assert errors == []
    assert any(issubclass(w.category, ResourceWarning) for w in caught)


def test_clients_that_do_not_own_the_connections_do_not_warn(fake: FakeConnectSafely) -> None:
    async def use() -> None:
        async with httpx.AsyncClient(transport=fake.transport()) as http:
            own = AsyncClient(api_key=fake.api_key, http_client=http)
            await own.conversations.send("hi", recipient_profile_id="jane-doe")
            async with fake.client() as parent:
                child = parent.with_options(max_retries=0)
                await child.conversations.send("hi", recipient_profile_id="jane-doe")
                with warnings.catch_warnings(record=True) as record:
                    warnings.simplefilter("always")
                    del own, child
                    gc.collect()
        assert not [w for w in record if issubclass(w.category, ResourceWarning)]

    anyio.run(use)


async def test_unclosed_client_over_a_socket_warns(fake: FakeConnectSafely, loopback: Any) -> None:
    server, app = loopback
    app.target = fake
    client = AsyncClient(api_key=fake.api_key, base_url=server.base_url)
    await client.conversations.send("hi", recipient_profile_id="jane-doe")
    http = client._core.pool.acquire()
    with pytest.warns(ResourceWarning, match="Unclosed"):
        del client
        gc.collect()
    await http.aclose()  # tidy up the sockets the test deliberately left open


async def test_closed_client_refuses_every_call_before_any_request(
    fake: FakeConnectSafely, conversation_urn: str, tmp_path: Path
) -> None:
    client = fake.client()
    pager = client.conversations.messages(conversation_urn)  # made while open
    child = client.with_options(max_retries=0)
    await client.aclose()
    for call in (_send, _messages, _upload):
        with pytest.raises(ConnectSafelyError, match="closed"):
            await call(client, conversation_urn, tmp_path)
        with pytest.raises(ConnectSafelyError, match="closed"):
            await call(child, conversation_urn, tmp_path)
    with pytest.raises(ConnectSafelyError, match="closed"):
        await anext(pager)
    assert fake.requests == []


@pytest.mark.parametrize("name", list(CALLS))
def test_client_from_another_event_loop_fails_clearly_without_retrying(
    fake: FakeConnectSafely, conversation_urn: str, tmp_path: Path, name: str, sleeps: list[float]
) -> None:
    call, _ = CALLS[name]
    client = fake.client()

    async def use() -> None:
        await call(client, conversation_urn, tmp_path)

    anyio.run(use, backend="asyncio")
    requests = len(fake.requests)
    for backend in ("asyncio", "trio"):
        with pytest.raises(ConnectSafelyError, match="another event loop") as info:
            anyio.run(use, backend=backend)
        assert not isinstance(info.value, connectsafely.APIConnectionError)
    assert len(fake.requests) == requests
    assert sleeps == []
    anyio.run(client.aclose, backend="asyncio")
