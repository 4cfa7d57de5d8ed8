"""The fake's webhooks: signed ``message.received`` deliveries with the documented retries.

`Webhooks` keeps the registered endpoints and every delivery attempt. An endpoint is an
ASGI app (called in-process, through httpx's ASGI transport) or a loopback URL (a real
HTTP request). Each event goes to every endpoint at once; per endpoint, attempts follow
ConnectSafely's schedule: the first at once, the next ``retry_delays`` seconds after a
failure (10 s, then 20 s), any non-2xx answer, timeout (15 s) or connection error being
a failure, and the event dropped after the last.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime, timezone
from typing import Any

import anyio
import attrs
import httpx

from ..webhooks import SIGNATURE_HEADER, sign
from ._clock import FakeClock, iso_utc
from ._records import FakeAccount, FakeConversation, FakeMessage

__all__ = [
    "DEFAULT_RETRY_DELAYS",
    "DEFAULT_TIMEOUT",
    "WebhookDelivery",
    "Webhooks",
    "message_event",
]

DEFAULT_RETRY_DELAYS = (10.0, 20.0)
"""Seconds before the 2nd and 3rd attempts, after a failure (3 attempts in all)."""

DEFAULT_TIMEOUT = 15.0
"""Seconds an endpoint has to answer an attempt."""

ASGIApp = Callable[[Any, Any, Any], Awaitable[None]]

sleep = anyio.sleep  # the wait between attempts; tests may replace it


@attrs.frozen
class WebhookDelivery:
    """One attempt to deliver a webhook event to one endpoint (``fake.webhook_deliveries``).

    Attributes:
        endpoint: The URL, or ``"asgi:<app>"`` for an app called in-process.
        event: The event type (``"message.received"``).
        message_urn: The event's ``data.message_urn``.
        attempt: 1 for the first try, 2 and 3 for the retries.
        status: The HTTP status answered, or ``None`` when there was no answer.
        error: Why there was no answer (``"timeout after 15 s"``, a connection error).
        delay: Seconds waited before this attempt (0 for the first).
        at: When it was sent, on the fake's clock.
        body: The signed request body, exactly as sent.
    """

    endpoint: str
    event: str
    message_urn: str
    attempt: int
    status: int | None
    error: str | None
    delay: float
    at: datetime
    body: bytes = attrs.field(repr=lambda b: f"<{len(b)} bytes>")

    @property
    def ok(self) -> bool:
        """Whether the endpoint answered 2xx (the event counts as delivered)."""
        return self.status is not None and 200 <= self.status < 300


@attrs.define
class _Endpoint:
    target: str | ASGIApp
    secret: str = attrs.field(repr=False)
    retry_delays: tuple[float, ...]
    timeout: float

    @property
    def name(self) -> str:
        if isinstance(self.target, str):
            return self.target
        label = getattr(self.target, "__qualname__", None) or type(self.target).__name__
        return f"asgi:{label}"


class Webhooks:
    """The registered endpoints and the record of every attempt (see the module docs)."""

    def __init__(self, clock: Callable[[], FakeClock]) -> None:
        self._clock = clock
        self.endpoints: list[_Endpoint] = []
        self.deliveries: list[WebhookDelivery] = []

    def add(
        self,
        target: str | ASGIApp,
        secret: str,
        *,
        retry_delays: Iterable[float] = DEFAULT_RETRY_DELAYS,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        """Register an endpoint (see `FakeConnectSafely.add_webhook`)."""
        sign(b"", secret)  # an empty or non-text secret fails here, not at delivery
        delays = tuple(float(d) for d in retry_delays)
        if any(not d >= 0 for d in delays):
            raise ValueError("retry_delays must be non-negative seconds")
        if not timeout > 0:
            raise ValueError("timeout must be a positive number of seconds")
        if isinstance(target, str):
            _check_loopback(target)
        elif not callable(target):
            raise TypeError("add_webhook needs a loopback URL or an ASGI app")
        self.endpoints.append(_Endpoint(target, secret, delays, float(timeout)))

    async def deliver(self, event: str, payload: dict[str, Any]) -> None:
        """Deliver one event to every endpoint (at once), each with its retries."""
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        message_urn = str(payload.get("data", {}).get("message_urn", ""))
        async with anyio.create_task_group() as group:
            for endpoint in list(self.endpoints):
                group.start_soon(self._deliver_to, endpoint, event, message_urn, body)

    async def _deliver_to(
        self, endpoint: _Endpoint, event: str, message_urn: str, body: bytes
    ) -> None:
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(body, endpoint.secret),
            "User-Agent": "ConnectSafely-Webhooks (connectsafely.testing fake)",
        }
        post = _http_post if isinstance(endpoint.target, str) else _asgi_post
        for attempt, delay in enumerate((0.0, *endpoint.retry_delays), start=1):
            if delay:
                await sleep(delay)
            status, error = await _attempt(post, endpoint.target, body, headers, endpoint.timeout)
            record = WebhookDelivery(
                endpoint=endpoint.name,
                event=event,
                message_urn=message_urn,
                attempt=attempt,
                status=status,
                error=error,
                delay=delay,
                at=self._clock().now(),
                body=body,
            )
            self.deliveries.append(record)
            if record.ok:
                return


Post = Callable[[Any, bytes, dict[str, str]], Awaitable[int]]


async def _attempt(
    post: Post, target: Any, body: bytes, headers: dict[str, str], seconds: float
) -> tuple[int | None, str | None]:
    with anyio.move_on_after(seconds):
        try:
            return await post(target, body, headers), None
        except httpx.HTTPError as exc:
            return None, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return None, f"timeout after {seconds:g} s"


async def _http_post(url: str, body: bytes, headers: dict[str, str]) -> int:
    """A real HTTP request (no redirects followed: a 3xx is a failed attempt)."""
    # No httpx timeout: `_attempt` bounds the whole attempt (connect to last byte).
    async with httpx.AsyncClient(trust_env=False, timeout=None) as http:  # noqa: S113
        response = await http.post(url, content=body, headers=headers)
        return response.status_code


async def _asgi_post(app: ASGIApp, body: bytes, headers: dict[str, str]) -> int:
    """One ASGI ``http`` call, as a server would make it; a crash counts as a 500."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/",
        "raw_path": b"/",
        "root_path": "",
        "query_string": b"",
        "headers": [
            *((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 0),
        "server": ("webhook.local", 80),
    }
    sent = False
    status: int | None = None
    finished = anyio.Event()

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await finished.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])
        elif message["type"] == "http.response.body" and not message.get("more_body", False):
            finished.set()

    try:
        await app(scope, receive, send)
    except Exception:
        return 500 if status is None else status
    finally:
        finished.set()
    return 500 if status is None else status


def _check_loopback(url: str) -> None:
    parsed = httpx.URL(url)
    host = parsed.host
    loopback = host == "localhost"
    if not loopback:
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
    if parsed.scheme not in ("http", "https") or not loopback:
        raise ValueError(
            f"The fake delivers webhooks only to loopback URLs (http://127.0.0.1:<port>/...) "
            f"or ASGI apps, not {url!r}."
        )


_MESSAGE_ID = re.compile(r",(2-[^,()]+)\)$")


def message_event(
    conversation: FakeConversation, message: FakeMessage, account: FakeAccount
) -> dict[str, Any]:
    """The documented ``message.received`` payload for an inbound message.

    The webhook names messages and threads by LinkedIn's backend URNs
    (``urn:li:messagingMessage:2-…``, ``urn:li:messagingThread:2-…``), not the REST
    API's messenger URNs; both are derived from the same ``2-…`` ids here.
    """
    found = _MESSAGE_ID.search(message.message_urn)
    message_id = found[1] if found else message.message_urn.rsplit(":", 1)[-1]
    thread = _MESSAGE_ID.search(conversation.urn)
    thread_id = (
        thread[1] if thread else (conversation.thread_id or conversation.urn.rsplit(":", 1)[-1])
    )
    message_urn = f"urn:li:messagingMessage:{message_id}"
    sent = datetime.fromtimestamp(message.sent_at / 1000, tz=timezone.utc)
    return {
        "event": "message.received",
        "object": "event",
        "data": {
            "id": message_urn,
            "message_urn": message_urn,
            "account_id": account.account_id,
            "provider": "LINKEDIN",
            "sender": {
                "id": f"urn:li:fsd_profile:{message.sender_profile_id}",
                "name": message.sender_name,
                "profile_url": None,
                "profile_picture": message.sender_photo,
            },
            "body": message.text,
            "timestamp": iso_utc(sent),
            "conversation_id": f"urn:li:messagingThread:{thread_id}",
            "attachments": list(message.attachments),
        },
    }
