"""``connectsafely_webhook``: the fake's own signed delivery, POSTed where the test says."""

from __future__ import annotations

from tests.plugin.conftest import UserPytest

CONFTEST = """
import pytest

@pytest.fixture
def anyio_backend():
    return "asyncio"
"""

WEBHOOK_TESTS = '''
import json

import pytest

from connectsafely.testing import LoopbackServer
from connectsafely.webhooks import MessageReceived, WebhookReceiver, verify_signature

pytestmark = pytest.mark.anyio

SECRET = "whsec_fixture"
REST_URN = "urn:li:msg_conversation:(urn:li:fsd_profile:ACoAAB1x2y3z,2-Zm9vYmFy)"


def recording():
    events = []

    async def on_event(event):
        events.append(event)

    return events, WebhookReceiver(SECRET, on_event)


def service(receiver):
    """A user's whole ASGI app: the receiver at one path, 404 elsewhere."""

    async def app(scope, receive, send):
        if scope["path"] == "/webhooks/connectsafely":
            await receiver(scope, receive, send)
            return
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    return app


async def test_the_event_is_the_documented_one_and_correctly_signed(connectsafely_webhook):
    seen = []

    async def raw(scope, receive, send):
        message = await receive()
        seen.append((message["body"], dict(scope["headers"])))
        await send({"type": "http.response.start", "status": 202, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    answer = await connectsafely_webhook(
        raw, secret=SECRET, text="Hello", conversation_urn=REST_URN, sender_name="Priya Shah"
    )
    assert answer.status_code == 202
    [(body, headers)] = seen
    verify_signature(body, headers[b"x-webhook-signature"].decode(), SECRET)
    document = json.loads(body)
    assert document["event"] == "message.received"
    data = document["data"]
    assert data["body"] == "Hello" and data["sender"]["name"] == "Priya Shah"
    assert data["conversation_id"] == "urn:li:messagingThread:2-Zm9vYmFy"
    assert headers[b"content-type"] == b"application/json"


async def test_each_call_is_a_new_event(connectsafely_webhook):
    events, receiver = recording()
    await connectsafely_webhook(receiver, secret=SECRET)
    await connectsafely_webhook(receiver, secret=SECRET)
    assert len({e.message_urn for e in events}) == 2
    assert all(isinstance(e, MessageReceived) for e in events)
    assert events[0].text == "Thanks, Tuesday works for me."


async def test_a_path_inside_the_users_app(connectsafely_webhook):
    events, receiver = recording()
    app = service(receiver)
    missed = await connectsafely_webhook(app, secret=SECRET)
    hit = await connectsafely_webhook(app, secret=SECRET, path="/webhooks/connectsafely")
    assert (missed.status_code, hit.status_code, len(events)) == (404, 200, 1)


async def test_a_thread_urn_is_kept_as_it_is(connectsafely_webhook):
    events, receiver = recording()
    thread = "urn:li:messagingThread:2-YWJjZGVm"
    await connectsafely_webhook(receiver, secret=SECRET, conversation_urn=thread)
    assert events[0].conversation_id == thread


async def test_a_redirect_is_not_followed(connectsafely_webhook):
    async def moved(scope, receive, send):
        await send(
            {"type": "http.response.start", "status": 307, "headers": [(b"location", b"/x/")]}
        )
        await send({"type": "http.response.body", "body": b""})

    async with LoopbackServer(moved) as server:
        answer = await connectsafely_webhook(f"{server.base_url}/x", secret=SECRET)
    assert answer.status_code == 307


async def test_bad_arguments_are_refused(connectsafely_webhook):
    _, receiver = recording()
    with pytest.raises(TypeError, match="target must be a URL or an ASGI app"):
        await connectsafely_webhook(42, secret=SECRET)
    with pytest.raises(ValueError, match="target must be an http"):
        await connectsafely_webhook("ftp://127.0.0.1/hooks", secret=SECRET)
    with pytest.raises(TypeError, match="text must be a str"):
        await connectsafely_webhook(receiver, secret=SECRET, text=b"bytes")
    with pytest.raises(ValueError, match="secret must not be empty"):
        await connectsafely_webhook(receiver, secret="")
'''


def test_the_webhook_fixture(user_pytest: UserPytest) -> None:
    user_pytest.pytester.makeconftest(CONFTEST)
    user_pytest.pytester.makepyfile(test_user=WEBHOOK_TESTS)
    user_pytest.run().assert_outcomes(passed=6)
