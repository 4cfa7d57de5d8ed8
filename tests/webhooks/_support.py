"""Events, signatures and a bare ASGI harness shared by the webhook tests."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import attrs

from connectsafely.webhooks import WebhookReceiver, sign

SECRET = "whsec_test_3f9a1c2b7d"
"""The signing secret of every test receiver (searched for in reprs and logs)."""

MESSAGE_URN = "urn:li:messagingMessage:2-MTc3MjAwMDAwMDAwMGFiY2QtMTAw"


def event_data(
    message_urn: str = MESSAGE_URN, text: str = "Sure, Tuesday works."
) -> dict[str, Any]:
    """The ``data`` of a documented ``message.received`` (the docs' composed example)."""
    return {
        "id": message_urn,
        "message_urn": message_urn,
        "account_id": "696ce9e780e0483585e4e553",
        "provider": "LINKEDIN",
        "sender": {
            "id": "urn:li:fsd_profile:ACoAAB1x2y3z4w5v6u7t8s9r0qPo",
            "name": "Jordan Lee",
            "profile_url": None,
            "profile_picture": "https://media.licdn.com/dms/image/jordan",
        },
        "body": text,
        "timestamp": "2026-05-12T14:33:21.000Z",
        "conversation_id": "urn:li:messagingThread:2-ODFkYjU4M2ItZDlmYS00YTVj==",
        "attachments": [],
    }


def event_body(
    message_urn: str = MESSAGE_URN, text: str = "Sure, Tuesday works.", **extra: Any
) -> bytes:
    """A compact JSON ``message.received`` body, as ConnectSafely sends it."""
    document = {
        "event": "message.received",
        "object": "event",
        "data": event_data(message_urn, text),
    }
    document.update(extra)
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


def headers_for(body: bytes, secret: str = SECRET) -> dict[str, str]:
    """Content-Type and the signature header for ``body``."""
    return {"Content-Type": "application/json", "X-Webhook-Signature": sign(body, secret)}


@attrs.define
class Exchange:
    """What one ASGI call did: the answer, and how much of the request it read."""

    status: int | None = None
    headers: dict[str, str] = attrs.Factory(dict)
    body: bytes = b""
    receive_calls: int = 0
    bytes_read: int = 0

    def json(self) -> Any:
        return json.loads(self.body)


async def call(
    app: WebhookReceiver,
    body: bytes | Iterable[bytes] = b"",
    *,
    method: str = "POST",
    headers: dict[str, str] | None = None,
    content_length: bool = True,
) -> Exchange:
    """One HTTP request through the app by hand: ``body`` may be an iterable of chunks
    (streamed lazily, one per ``receive()``), and the exchange counts what was read."""
    chunks = iter([body]) if isinstance(body, bytes) else iter(body)
    pending = next(chunks, b"")
    raw_headers = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    if content_length and isinstance(body, bytes):
        raw_headers.append((b"content-length", str(len(body)).encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "path": "/",
        "raw_path": b"/",
        "query_string": b"",
        "headers": raw_headers,
    }
    exchange = Exchange()
    finished = False

    async def receive() -> dict[str, Any]:
        nonlocal pending, finished
        exchange.receive_calls += 1
        if finished:
            return {"type": "http.disconnect"}
        chunk = pending
        nxt = next(chunks, None)
        if nxt is None:
            finished = True
        else:
            pending = nxt
        exchange.bytes_read += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": not finished}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            exchange.status = message["status"]
            exchange.headers = {k.decode(): v.decode() for k, v in message["headers"]}
        else:
            exchange.body += message.get("body", b"")

    await app(scope, receive, send)
    return exchange


async def post(app: WebhookReceiver, body: bytes, secret: str = SECRET) -> Exchange:
    """A correctly signed delivery of ``body``."""
    return await call(app, body, headers=headers_for(body, secret))
