"""The pytest plugin's webhook signer: one ``message.received`` event, as ConnectSafely
would send it, POSTed to the user's receiver (``connectsafely_webhook``).

The event is the fake's own delivery, captured: a throwaway `FakeConnectSafely`
receives the message and delivers it (signed, with the documented payload and headers)
to a capturing ASGI app; the captured request is then sent to the target, and the
target's response returned. So the body and signature are exactly those of
``fake.receive_message`` deliveries, built through the fake's public names only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import httpx

from . import FakeConnectSafely

__all__ = ["DEFAULT_TEXT", "PostWebhook", "post_message_received"]

DEFAULT_TEXT = "Thanks, Tuesday works for me."
"""The message text of an event when the test names none."""

ASGIApp = Callable[[Any, Any, Any], Awaitable[None]]

_FORWARDED = ("content-type", "x-webhook-signature", "user-agent")


class PostWebhook(Protocol):
    """The type of ``connectsafely_webhook``: see `post_message_received`."""

    async def __call__(
        self,
        target: str | ASGIApp,
        *,
        secret: str,
        text: str = DEFAULT_TEXT,
        conversation_urn: str | None = None,
        sender_name: str | None = None,
        path: str = "/",
    ) -> httpx.Response: ...


async def post_message_received(
    target: str | ASGIApp,
    *,
    secret: str,
    text: str = DEFAULT_TEXT,
    conversation_urn: str | None = None,
    sender_name: str | None = None,
    path: str = "/",
) -> httpx.Response:
    """Sign and POST one ``message.received`` event to ``target``; return the response.

    Args:
        target: An ASGI app (a `WebhookReceiver`, or your service's whole app), called
            in-process, or a URL (``http://127.0.0.1:8000/webhooks/connectsafely``),
            requested over HTTP without following redirects, as ConnectSafely does.
        secret: The signing secret (``X-Webhook-Signature: sha256=<hex>``); pass a
            different one than the receiver's to test its 401.
        text: The message text (the event's ``body``).
        conversation_urn: The conversation the message arrives in. A REST URN
            (``urn:li:msg_conversation:(...,2-...)``) is named as webhooks name threads
            (``urn:li:messagingThread:2-...``), like the fake's own deliveries; by
            default a new conversation with Jordan Lee.
        sender_name: Who sent it (the conversation's participant by default).
        path: The path to POST to on an ASGI ``target`` (``/`` by default); a URL
            carries its own.

    Returns:
        The receiver's `httpx.Response` (read).

    Raises:
        TypeError: ``target`` is neither a URL nor an ASGI app, or ``text`` is not a str.
        ValueError: An empty ``secret``, or a URL that is not ``http(s)``.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, not {type(text).__name__}")
    if isinstance(target, str):
        if httpx.URL(target).scheme not in ("http", "https"):
            raise ValueError(f"target must be an http(s) URL or an ASGI app, not {target!r}")
    elif not callable(target):
        raise TypeError(f"target must be a URL or an ASGI app, not {type(target).__name__}")
    body, headers = await _signed_event(secret, text, conversation_urn, sender_name)
    if isinstance(target, str):
        # No httpx timeout and no redirects: ConnectSafely gives 15 s and follows none.
        async with httpx.AsyncClient(trust_env=False, timeout=15.0) as http:
            return await http.post(target, content=body, headers=headers)
    transport = httpx.ASGITransport(app=target)
    async with httpx.AsyncClient(transport=transport, base_url="http://webhook.test") as http:
        return await http.post(path, content=body, headers=headers)


async def _signed_event(
    secret: str, text: str, conversation_urn: str | None, sender_name: str | None
) -> tuple[bytes, dict[str, str]]:
    """The body and headers of the fake's delivery of this message."""
    fake = FakeConnectSafely()
    if conversation_urn is None:
        thread = fake.add_conversation()
    else:
        thread = fake.add_conversation(urn=conversation_urn)
    captured: list[tuple[bytes, dict[str, str]]] = []

    async def capture(scope: Any, receive: Any, send: Any) -> None:
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        sent = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        captured.append((b"".join(chunks), {k: sent[k] for k in _FORWARDED if k in sent}))
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    fake.add_webhook(capture, secret, retry_delays=())
    await fake.receive_message(thread, text, sender_name=sender_name)
    [event] = captured
    return event
