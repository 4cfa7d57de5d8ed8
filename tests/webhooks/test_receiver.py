"""WebhookReceiver: every status, the body limit, secret hygiene and exactly-once handling.

Requests go through the app by hand (`tests.webhooks._support.call`), so each test also
sees how much of the body the receiver read.
"""

from __future__ import annotations

import functools
import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest

from connectsafely.stores import EventStatus, MemoryStore, Store
from connectsafely.testing import LoopbackServer
from connectsafely.webhooks import (
    MessageReceived,
    UnknownWebhookEvent,
    WebhookEvent,
    WebhookReceiver,
    sign,
)
from tests.webhooks._support import MESSAGE_URN, SECRET, call, event_body, headers_for, post

pytestmark = pytest.mark.anyio


class Recorder:
    """A handler that records events, optionally failing its first ``failures`` calls."""

    def __init__(self, failures: int = 0, wait: anyio.Event | None = None) -> None:
        self.events: list[WebhookEvent] = []
        self.calls = 0
        self.failures = failures
        self.wait = wait
        self.entered = anyio.Event()

    async def __call__(self, event: WebhookEvent) -> None:
        self.calls += 1
        self.entered.set()
        if self.wait is not None:
            await self.wait.wait()
        if self.calls <= self.failures:
            raise RuntimeError("the CRM is down")
        self.events.append(event)


def receiver(handler: Any = None, **options: Any) -> WebhookReceiver:
    return WebhookReceiver(SECRET, handler or Recorder(), **options)


# -- the statuses, in pipeline order ---------------------------------------------------------


async def test_a_signed_event_is_handled_and_answered_200() -> None:
    handler = Recorder()
    answer = await post(receiver(handler), event_body())
    assert answer.status == 200 and answer.json() == {"ok": True}
    assert answer.headers["content-type"] == "application/json"
    [event] = handler.events
    assert isinstance(event, MessageReceived) and event.text == "Sure, Tuesday works."


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "HEAD", "OPTIONS"])
async def test_anything_but_post_is_405_with_allow(method: str) -> None:
    handler = Recorder()
    answer = await call(
        receiver(handler), event_body(), method=method, headers=headers_for(event_body())
    )
    assert answer.status == 405 and answer.headers["allow"] == "POST"
    assert answer.receive_calls == 0 and handler.calls == 0


async def test_a_declared_length_over_the_limit_is_413_without_reading() -> None:
    body = event_body()
    answer = await call(receiver(max_body_size=len(body) - 1), body, headers=headers_for(body))
    assert answer.status == 413 and answer.receive_calls == 0
    assert answer.headers["connection"] == "close"


async def test_a_body_of_exactly_the_limit_is_accepted() -> None:
    body = event_body()
    assert (await post(receiver(max_body_size=len(body)), body)).status == 200


async def test_a_malformed_content_length_is_413_without_reading() -> None:
    body = event_body()
    headers = {**headers_for(body), "Content-Length": "12abc"}
    answer = await call(receiver(), body, headers=headers, content_length=False)
    assert answer.status == 413 and answer.receive_calls == 0


def hundred_megabytes(counter: list[int]) -> Iterator[bytes]:
    """100 MB in 64 KiB chunks, made lazily: only what the receiver asks for exists."""
    chunk = b"x" * 65536
    for _ in range(100 * 1024 * 1024 // len(chunk)):
        counter[0] += 1
        yield chunk


async def test_a_streamed_100_mb_body_is_cut_off_at_the_limit() -> None:
    made = [0]
    handler = Recorder()
    answer = await call(receiver(handler), hundred_megabytes(made), content_length=False)
    assert answer.status == 413
    limit = 1024 * 1024
    # It stopped reading within one chunk of the 1 MiB limit, never near 100 MB.
    assert limit < answer.bytes_read <= limit + 65536
    assert answer.receive_calls == limit // 65536 + 1
    assert made[0] <= answer.receive_calls + 1
    assert handler.calls == 0


async def test_a_body_longer_than_its_content_length_is_still_cut_off() -> None:
    made = [0]
    headers = {"Content-Length": "10", "X-Webhook-Signature": sign(b"x", SECRET)}
    answer = await call(receiver(), hundred_megabytes(made), headers=headers, content_length=False)
    assert answer.status == 413 and answer.bytes_read <= 1024 * 1024 + 65536


@pytest.mark.parametrize(
    "signature", [None, "", "sha256=" + "0" * 64, "sha256=nothex", sign(b"other", SECRET)]
)
async def test_a_missing_or_wrong_signature_is_401(signature: str | None) -> None:
    handler = Recorder()
    headers = {} if signature is None else {"X-Webhook-Signature": signature}
    answer = await call(receiver(handler), event_body(), headers=headers)
    assert answer.status == 401 and answer.json() == {"error": "invalid signature"}
    assert handler.calls == 0


async def test_a_body_signed_with_another_secret_is_401() -> None:
    handler = Recorder()
    answer = await post(receiver(handler), event_body(), secret="whsec_someone_else")
    assert answer.status == 401 and handler.calls == 0


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"\xff\xfe\x00\xd8 not utf-8",
        b"[" * 200_000 + b"]" * 200_000,  # nested beyond the parser's recursion limit
        b'{"data": {}}',
        b"[]",
        b'{"event": "message.received", "data": {"message_urn": "urn:li:x"}}',
    ],
)
async def test_a_signed_body_that_is_not_an_event_is_400_never_500(body: bytes) -> None:
    handler = Recorder()
    answer = await post(receiver(handler, max_body_size=10_000_000), body)
    assert answer.status == 400 and "error" in answer.json()
    assert handler.calls == 0


async def test_an_unknown_event_type_reaches_the_handler_and_is_200() -> None:
    handler = Recorder()
    body = json.dumps({"event": "message.read", "object": "event", "data": {"id": "r1"}}).encode()
    assert (await post(receiver(handler), body)).status == 200
    assert handler.events == [UnknownWebhookEvent("message.read", {"id": "r1"})]


async def test_a_failing_handler_is_500_and_runs_again_on_redelivery() -> None:
    handler = Recorder(failures=1)
    app = receiver(handler)
    first = await post(app, event_body())
    assert first.status == 500 and first.json() == {"error": "handler failed"}
    second = await post(app, event_body())
    assert second.status == 200 and handler.calls == 2
    third = await post(app, event_body())  # remembered once it succeeded
    assert third.status == 200 and third.json() == {"ok": True, "duplicate": True}
    assert handler.calls == 2


def test_a_plain_function_handler_is_refused_at_construction() -> None:
    def sync_handler(event: WebhookEvent) -> None:
        pass

    with pytest.raises(TypeError, match=r"handler must be an async function.*sync_handler"):
        WebhookReceiver(SECRET, sync_handler)
    with pytest.raises(TypeError, match="handler must be an async function"):
        WebhookReceiver(SECRET, functools.partial(sync_handler))
    with pytest.raises(TypeError, match="handler must be an async function"):
        WebhookReceiver(SECRET, lambda event: None)
    with pytest.raises(TypeError, match="handler must be an async function"):
        WebhookReceiver(SECRET, Recorder)  # the class, not an instance


async def test_async_callables_of_every_shape_are_accepted_and_awaited() -> None:
    seen: list[str] = []

    async def on_event(event: WebhookEvent, tag: str = "function") -> None:
        seen.append(tag)

    handlers: list[Any] = [
        on_event,
        functools.partial(on_event, tag="partial"),
        Recorder(),  # an object whose __call__ is async
        functools.partial(Recorder()),
    ]
    for number, handler in enumerate(handlers):
        app = WebhookReceiver(SECRET, handler)
        assert (await post(app, event_body(f"{MESSAGE_URN}{number}"))).status == 200
    assert seen == ["function", "partial"]
    assert [h.calls for h in (handlers[2], handlers[3].func)] == [1, 1]


@pytest.mark.parametrize("path", ["/hooks", "/hooks/", "/"])
async def test_the_receiver_answers_its_path_with_or_without_a_trailing_slash(path: str) -> None:
    # Served on its own (uvicorn), the receiver does not route: both forms of the URL
    # reach it, over a real socket, with no redirect in between.
    handler = Recorder()
    body = event_body()
    async with LoopbackServer(receiver(handler)) as server, httpx.AsyncClient() as http:
        answer = await http.post(
            f"{server.base_url}{path}", content=body, headers=headers_for(body)
        )
    assert answer.status_code == 200 and handler.calls == 1


class BrokenStore(MemoryStore):
    async def claim_event(self, key: str, token: str, now: float, lease: float) -> EventStatus:
        raise ConnectionError("redis://10.0.0.5:6379 unreachable")


async def test_an_unreachable_store_is_503_and_the_handler_is_not_called() -> None:
    handler = Recorder()
    answer = await post(receiver(handler, store=BrokenStore()), event_body())
    assert answer.status == 503 and answer.headers["retry-after"] == "10"
    assert handler.calls == 0


async def test_lifespan_and_websocket_scopes_are_answered() -> None:
    app = receiver()
    sent: list[dict[str, Any]] = []
    messages = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])

    async def receive() -> dict[str, Any]:
        return next(messages)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app({"type": "lifespan"}, receive, send)
    await app({"type": "websocket", "headers": []}, receive, send)
    assert [m["type"] for m in sent] == [
        "lifespan.startup.complete",
        "lifespan.shutdown.complete",
        "websocket.close",
    ]


async def test_a_client_that_disconnects_mid_body_gets_no_answer() -> None:
    handler = Recorder()
    sent: list[dict[str, Any]] = []
    messages = iter(
        [{"type": "http.request", "body": b"{", "more_body": True}, {"type": "http.disconnect"}]
    )

    async def receive() -> dict[str, Any]:
        return next(messages)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await receiver(handler)({"type": "http", "method": "POST", "headers": []}, receive, send)
    assert sent == [] and handler.calls == 0


# -- exactly once -----------------------------------------------------------------------------


async def test_a_duplicate_delivery_is_200_without_calling_the_handler() -> None:
    handler = Recorder()
    app = receiver(handler)
    assert (await post(app, event_body())).status == 200
    duplicate = await post(app, event_body())
    assert duplicate.status == 200 and duplicate.json()["duplicate"] is True
    assert handler.calls == 1


async def test_the_dedupe_key_is_the_message_urn_not_the_bytes() -> None:
    handler = Recorder()
    app = receiver(handler)
    await post(app, event_body())
    # The same event re-serialised (other spacing): still the same message.
    same = json.dumps(json.loads(event_body())).encode()
    assert (await post(app, same)).status == 200
    assert handler.calls == 1


async def test_out_of_order_events_are_each_handled_once() -> None:
    handler = Recorder()
    app = receiver(handler)
    urns = [f"urn:li:messagingMessage:2-{n}" for n in range(4)]
    # A retried older event arrives after newer ones, then everything again.
    for urn in [urns[1], urns[3], urns[0], urns[2], urns[0], *urns]:
        assert (await post(app, event_body(urn))).status == 200
    assert sorted(e.message_urn for e in handler.events) == urns  # type: ignore[union-attr]
    assert handler.calls == 4


async def test_unknown_events_without_ids_are_deduplicated_by_their_bytes() -> None:
    handler = Recorder()
    app = receiver(handler)
    body = json.dumps({"event": "typing.started", "data": {"who": "x"}}).encode()
    other = json.dumps({"event": "typing.started", "data": {"who": "y"}}).encode()
    for delivery in (body, body, other):
        assert (await post(app, delivery)).status == 200
    assert handler.calls == 2


async def test_concurrent_duplicates_call_the_handler_once() -> None:
    release = anyio.Event()
    handler = Recorder(wait=release)
    app = receiver(handler)
    answers: list[int | None] = []

    async def deliver() -> None:
        answers.append((await post(app, event_body())).status)

    async with anyio.create_task_group() as group:
        group.start_soon(deliver)
        await handler.entered.wait()
        for _ in range(3):  # redeliveries while the first is still being handled
            await deliver()
        release.set()
    assert handler.calls == 1
    assert sorted(answers) == [200, 409, 409, 409]  # the 409s are retried later ...
    assert (await post(app, event_body())).status == 200  # ... and then are duplicates
    assert handler.calls == 1


async def test_a_concurrent_duplicate_of_a_failing_delivery_runs_after_the_release() -> None:
    release = anyio.Event()
    handler = Recorder(failures=1, wait=release)
    app = receiver(handler)
    answers: list[int | None] = []

    async def deliver() -> None:
        answers.append((await post(app, event_body())).status)

    async with anyio.create_task_group() as group:
        group.start_soon(deliver)
        await handler.entered.wait()
        await deliver()
        release.set()
    assert sorted(answers) == [409, 500]
    handler.wait = None
    assert (await post(app, event_body())).status == 200
    assert handler.calls == 2 and len(handler.events) == 1


async def test_two_receivers_sharing_a_store_call_the_handler_once_per_event() -> None:
    store = MemoryStore()
    handler_a, handler_b = Recorder(), Recorder()
    replica_a = receiver(handler_a, store=store)
    replica_b = receiver(handler_b, store=store)
    urns = [f"urn:li:messagingMessage:2-{n}" for n in range(6)]
    for n, urn in enumerate(urns * 2):  # each event reaches both replicas in turn
        replica = replica_a if n % 2 == 0 else replica_b
        assert (await post(replica, event_body(urn))).status == 200
    assert handler_a.calls + handler_b.calls == 6
    assert handler_a.calls and handler_b.calls


async def test_receivers_with_other_secrets_do_not_share_events_in_one_store() -> None:
    store = MemoryStore()
    mine, theirs = Recorder(), Recorder()
    await post(WebhookReceiver(SECRET, mine, store=store), event_body())
    await post(WebhookReceiver("whsec_other", theirs, store=store), event_body(), "whsec_other")
    assert mine.calls == 1 and theirs.calls == 1


async def test_the_claim_is_released_when_the_delivery_is_cancelled() -> None:
    release = anyio.Event()
    handler = Recorder(wait=release)
    store = MemoryStore()
    app = receiver(handler, store=store)
    with anyio.move_on_after(0.05):
        await post(app, event_body())
    assert handler.calls == 1
    handler.wait = None
    assert (await post(app, event_body())).status == 200  # not stuck "in progress"
    assert handler.calls == 2


async def test_a_long_handler_keeps_its_claim_alive(monkeypatch: pytest.MonkeyPatch) -> None:
    from connectsafely.webhooks import _receiver

    monkeypatch.setattr(_receiver, "LEASE", 0.08)  # renewed every 0.02 s
    release = anyio.Event()
    handler = Recorder(wait=release)
    app = receiver(handler)
    answers: list[int | None] = []

    async def deliver() -> None:
        answers.append((await post(app, event_body())).status)

    async with anyio.create_task_group() as group:
        group.start_soon(deliver)
        await handler.entered.wait()
        await anyio.sleep(0.3)  # several leases long
        await deliver()
        release.set()
    assert sorted(answers) == [200, 409] and handler.calls == 1


async def test_a_claim_left_by_a_dead_process_expires() -> None:
    from connectsafely.webhooks import _receiver

    store = MemoryStore()
    handler = Recorder()
    app = receiver(handler, store=store)
    key = app._prefix + "message:" + MESSAGE_URN
    now = time.time()
    assert await store.claim_event(key, "dead", now - _receiver.LEASE - 1, _receiver.LEASE) is (
        EventStatus.CLAIMED
    )
    assert (await post(app, event_body())).status == 200 and handler.calls == 1


# -- construction and secret hygiene ---------------------------------------------------------


def test_an_empty_secret_is_refused_at_construction() -> None:
    with pytest.raises(ValueError, match="secret must not be empty"):
        WebhookReceiver("", Recorder())


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"handler": None}, TypeError),
        ({"max_body_size": 0}, ValueError),
        ({"max_body_size": 1.5}, TypeError),
        ({"max_body_size": True}, TypeError),
        ({"store": object()}, TypeError),
    ],
)
def test_bad_options_are_refused(options: dict[str, Any], error: type[Exception]) -> None:
    arguments: dict[str, Any] = {"handler": Recorder(), **options}
    with pytest.raises(error):
        WebhookReceiver(SECRET, **arguments)


def test_the_secret_is_not_in_the_repr() -> None:
    async def on_event(event: WebhookEvent) -> None:
        pass

    app = WebhookReceiver(SECRET, on_event, store=MemoryStore())
    assert SECRET not in repr(app) and SECRET not in str(app)
    assert "on_event" in repr(app) and "MemoryStore" in repr(app)


async def test_the_secret_is_never_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    app = receiver(Recorder(failures=1))
    await post(app, event_body())  # handler fails: logged with its traceback
    await call(app, event_body(), headers={"X-Webhook-Signature": "sha256=00"})  # 401
    await post(app, b"not json")  # 400
    await post(receiver(store=BrokenStore()), event_body())  # 503
    assert len(caplog.records) >= 4
    text = caplog.text + "".join(str(r.__dict__) for r in caplog.records)
    assert SECRET not in text
    assert sign(event_body(), SECRET)[7:] not in text  # nor a valid signature
    assert "the CRM is down" in caplog.text  # the handler's error is, with its traceback


async def test_store_keys_hold_no_secret() -> None:
    keys: list[str] = []

    class Spy(MemoryStore):
        async def claim_event(self, key: str, token: str, now: float, lease: float) -> EventStatus:
            keys.append(key)
            return await super().claim_event(key, token, now, lease)

    await post(receiver(store=Spy()), event_body())
    [key] = keys
    assert SECRET not in key and key.endswith(MESSAGE_URN)


def test_any_store_is_accepted() -> None:
    assert isinstance(receiver(store=MemoryStore()).store, Store)
