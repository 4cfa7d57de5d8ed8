"""The fake's webhooks: receive_message stores the message and delivers it, signed, with
the documented retries; end to end over a real socket too."""

from __future__ import annotations

import json
import socket
from typing import Any

import anyio
import pytest

from connectsafely.testing import FakeConnectSafely, LoopbackServer, WebhookDelivery
from connectsafely.testing import _webhooks as fake_webhooks
from connectsafely.webhooks import MessageReceived, WebhookEvent, WebhookReceiver, parse_event
from tests.webhooks._support import SECRET, post

pytestmark = pytest.mark.anyio

FAST = (0.0, 0.0)


class Recorder:
    def __init__(self, failures: int = 0) -> None:
        self.events: list[WebhookEvent] = []
        self.calls = 0
        self.failures = failures

    async def __call__(self, event: WebhookEvent) -> None:
        self.calls += 1
        if self.calls <= self.failures:
            raise RuntimeError("not yet")
        self.events.append(event)


@pytest.fixture
def slept(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The fake's waits between attempts, recorded instead of slept."""
    recorded: list[float] = []

    async def record(seconds: float) -> None:
        recorded.append(seconds)
        await anyio.lowlevel.checkpoint()

    monkeypatch.setattr(fake_webhooks, "sleep", record)
    return recorded


async def test_a_received_message_reaches_the_handler_and_the_conversation(
    fake: FakeConnectSafely,
) -> None:
    thread = fake.add_conversation(recipient_profile_id="jordan-lee")
    handler = Recorder()
    fake.add_webhook(WebhookReceiver(SECRET, handler), SECRET, retry_delays=FAST)
    stored = await fake.receive_message(thread, "Sure, Tuesday works.")

    [event] = handler.events
    assert isinstance(event, MessageReceived)
    assert event.text == "Sure, Tuesday works." and event.sender.name == "Jordan Lee"
    assert event.account_id == thread.account_id and event.provider == "LINKEDIN"
    assert event.message_urn.startswith("urn:li:messagingMessage:2-")
    assert event.message_urn.rsplit(":", 1)[1] in stored.message_urn  # the same 2-... id
    assert event.conversation_id is not None
    assert event.conversation_id.rsplit(":", 1)[1] in thread.urn
    assert event.sender.id == f"urn:li:fsd_profile:{stored.sender_profile_id}"
    assert int(event.timestamp.timestamp() * 1000) == stored.sent_at
    [delivery] = fake.webhook_deliveries
    assert delivery.ok and (delivery.status, delivery.attempt, delivery.delay) == (200, 1, 0.0)
    assert delivery.endpoint == "asgi:WebhookReceiver" and delivery.message_urn == event.message_urn

    async with fake.client() as client:
        [newest, *_] = [m async for m in client.conversations.messages(thread.urn)]
    assert newest.text == "Sure, Tuesday works." and not newest.is_sent_by_owner
    assert thread.unread and thread.unread_count == 1


async def test_the_delivered_body_is_the_documented_shape_and_verifies(
    fake: FakeConnectSafely,
) -> None:
    thread = fake.add_conversation()
    seen: list[tuple[bytes, dict[str, str]]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        message = await receive()
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        seen.append((message["body"], headers))
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    fake.add_webhook(app, SECRET)
    await fake.receive_message(thread, "Hey — saw your post", attachments=[{"name": "a.pdf"}])
    [(body, headers)] = seen
    assert headers["content-type"] == "application/json"
    assert headers["x-webhook-signature"].startswith("sha256=")
    document = json.loads(body)
    assert set(document) == {"event", "object", "data"} and document["object"] == "event"
    assert set(document["data"]) == {
        "id", "message_urn", "account_id", "provider", "sender", "body",
        "timestamp", "conversation_id", "attachments",
    }  # fmt: skip
    assert document["data"]["timestamp"].endswith("Z")
    assert "—".encode() in body  # raw UTF-8, as in the docs' example
    event = parse_event(body, headers, SECRET)
    assert isinstance(event, MessageReceived) and event.attachments == ({"name": "a.pdf"},)
    assert fake.webhook_deliveries[0].status == 204 and fake.webhook_deliveries[0].body == body


async def test_sender_name_and_profile_can_be_given(fake: FakeConnectSafely) -> None:
    thread = fake.add_conversation()
    handler = Recorder()
    fake.add_webhook(WebhookReceiver(SECRET, handler), SECRET)
    await fake.receive_message(thread, "Hi", sender_profile_id="sam-quinn")
    await fake.receive_message(thread, "Hi again", sender_name="Samuel Q.")
    first, second = handler.events
    assert isinstance(first, MessageReceived) and isinstance(second, MessageReceived)
    assert first.sender.name == "Sam Quinn" and first.sender.id.startswith(
        "urn:li:fsd_profile:ACoAA"
    )
    assert second.sender.name == "Samuel Q."


async def test_a_handler_failing_once_is_called_again_and_then_remembered(
    fake: FakeConnectSafely, slept: list[float]
) -> None:
    thread = fake.add_conversation()
    handler = Recorder(failures=1)
    receiver = WebhookReceiver(SECRET, handler)
    fake.add_webhook(receiver, SECRET)  # the documented schedule (sleeps recorded)
    await fake.receive_message(thread, "Are you free on Tuesday?")
    assert [(d.attempt, d.status, d.delay) for d in fake.webhook_deliveries] == [
        (1, 500, 0.0),
        (2, 200, 10.0),
    ]
    assert slept == [10.0] and handler.calls == 2 and len(handler.events) == 1
    # The same event delivered once more (e.g. after a lost 200): not handled again.
    [event] = handler.events
    duplicate = await post(receiver, fake.webhook_deliveries[-1].body)
    assert duplicate.json() == {"ok": True, "duplicate": True}
    assert handler.calls == 2 and handler.events == [event]


async def test_an_endpoint_failing_every_time_gets_three_attempts_then_is_dropped(
    fake: FakeConnectSafely, slept: list[float]
) -> None:
    thread = fake.add_conversation()
    fake.add_webhook(WebhookReceiver(SECRET, Recorder(failures=99)), SECRET)
    await fake.receive_message(thread, "Hello?")
    assert [(d.attempt, d.status) for d in fake.webhook_deliveries] == [
        (1, 500),
        (2, 500),
        (3, 500),
    ]
    assert slept == [10.0, 20.0]
    assert not any(d.ok for d in fake.webhook_deliveries)


async def test_every_non_2xx_answer_is_retried(fake: FakeConnectSafely) -> None:
    statuses = iter([404, 302, 200])

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        status = next(statuses)
        headers = [(b"location", b"/elsewhere")] if status == 302 else []
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    fake.add_webhook(app, SECRET, retry_delays=FAST)
    await fake.receive_message(fake.add_conversation(), "Hi")
    assert [d.status for d in fake.webhook_deliveries] == [404, 302, 200]


async def test_a_slow_endpoint_times_out_and_is_retried(fake: FakeConnectSafely) -> None:
    calls = 0

    async def app(scope: Any, receive: Any, send: Any) -> None:
        nonlocal calls
        calls += 1
        await receive()
        if calls == 1:
            await anyio.sleep(5)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    fake.add_webhook(app, SECRET, retry_delays=FAST, timeout=0.05)
    await fake.receive_message(fake.add_conversation(), "Hi")
    first, second = fake.webhook_deliveries
    assert first.status is None and first.error == "timeout after 0.05 s"
    assert second.ok


async def test_an_app_that_crashes_counts_as_a_500(fake: FakeConnectSafely) -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise RuntimeError("boom")

    fake.add_webhook(app, SECRET, retry_delays=())
    await fake.receive_message(fake.add_conversation(), "Hi")
    assert [d.status for d in fake.webhook_deliveries] == [500]


async def test_every_endpoint_gets_every_event(fake: FakeConnectSafely) -> None:
    first, second = Recorder(), Recorder()
    fake.add_webhook(WebhookReceiver(SECRET, first), SECRET)
    fake.add_webhook(WebhookReceiver("whsec_other", second), "whsec_other")
    thread = fake.add_conversation()
    for text in ("one", "two"):
        await fake.receive_message(thread, text)
    assert first.calls == second.calls == 2
    assert len(fake.webhook_deliveries) == 4


async def test_a_wrong_secret_is_answered_401_on_every_attempt(fake: FakeConnectSafely) -> None:
    handler = Recorder()
    fake.add_webhook(WebhookReceiver(SECRET, handler), "whsec_wrong", retry_delays=FAST)
    await fake.receive_message(fake.add_conversation(), "Hi")
    assert [d.status for d in fake.webhook_deliveries] == [401, 401, 401]
    assert handler.calls == 0


async def test_without_webhooks_the_message_is_only_stored(fake: FakeConnectSafely) -> None:
    thread = fake.add_conversation()
    message = await fake.receive_message(thread.urn, "Hi")
    assert thread.messages[-1] is message and fake.webhook_deliveries == []


@pytest.mark.parametrize(
    "target", ["https://example.com/hook", "http://10.0.0.5/hook", "ftp://127.0.0.1/x"]
)
def test_only_loopback_urls_are_accepted(fake: FakeConnectSafely, target: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        fake.add_webhook(target, SECRET)


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"secret": ""}, ValueError),
        ({"retry_delays": (-1.0,)}, ValueError),
        ({"timeout": 0}, ValueError),
        ({"target": 42}, TypeError),
    ],
)
def test_bad_webhook_options_are_refused(
    fake: FakeConnectSafely, options: dict[str, Any], error: type[Exception]
) -> None:
    arguments: dict[str, Any] = {"target": "http://127.0.0.1:9/", "secret": SECRET, **options}
    with pytest.raises(error):
        fake.add_webhook(arguments.pop("target"), arguments.pop("secret"), **arguments)


def test_a_delivery_record_shows_no_secret_and_no_body(fake: FakeConnectSafely) -> None:
    record = WebhookDelivery(
        endpoint="http://127.0.0.1:1/",
        event="message.received",
        message_urn="urn:li:messagingMessage:2-x",
        attempt=1,
        status=200,
        error=None,
        delay=0.0,
        at=fake.clock.now(),
        body=b"x" * 900,
    )
    assert "<900 bytes>" in repr(record) and record.ok


# -- over real sockets ------------------------------------------------------------------------


async def test_end_to_end_fake_to_uvicorn_to_receiver_to_handler(fake: FakeConnectSafely) -> None:
    handler = Recorder(failures=1)
    async with LoopbackServer(WebhookReceiver(SECRET, handler)) as server:
        fake.add_webhook(f"{server.base_url}/webhooks/connectsafely", SECRET, retry_delays=FAST)
        await fake.receive_message(fake.add_conversation(), "Over TCP, twice.")
    assert [
        (d.status, d.endpoint.startswith("http://127.0.0.1:")) for d in fake.webhook_deliveries
    ] == [
        (500, True),
        (200, True),
    ]
    [event] = handler.events
    assert isinstance(event, MessageReceived) and event.text == "Over TCP, twice."


async def test_a_closed_port_is_a_connection_error_retried(fake: FakeConnectSafely) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    fake.add_webhook(f"http://127.0.0.1:{port}/", SECRET, retry_delays=FAST)
    await fake.receive_message(fake.add_conversation(), "Hi")
    assert [d.attempt for d in fake.webhook_deliveries] == [1, 2, 3]
    assert all(d.status is None and d.error for d in fake.webhook_deliveries)


async def test_a_large_body_over_the_socket_is_413(fake: FakeConnectSafely) -> None:
    handler = Recorder()
    receiver = WebhookReceiver(SECRET, handler, max_body_size=2000)
    async with LoopbackServer(receiver) as server:
        fake.add_webhook(server.base_url, SECRET, retry_delays=())
        await fake.receive_message(fake.add_conversation(), "x" * 5000)
    assert [d.status for d in fake.webhook_deliveries] == [413] and handler.calls == 0
