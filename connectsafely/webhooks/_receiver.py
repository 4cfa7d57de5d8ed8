"""`WebhookReceiver`: the ASGI app that turns deliveries into one handler call per event.

A delivery goes through these steps, in order, and stops at the first that answers:

1. ``POST`` only -> else **405**;
2. the body's size: ``Content-Length`` over the limit -> **413** before reading; while
   reading, the count passing the limit -> **413** at once (never buffered further);
3. the signature over the raw bytes -> **401** when missing or wrong;
4. decoding -> **400** when the signed body is not a JSON event;
5. the claim in the store, keyed by the event's message URN (else its ``id``):
   already handled -> **200** without calling the handler; being handled right now by
   another request -> **409** (ConnectSafely retries later); store unreachable ->
   **503** (the handler is never called without coordination);
6. ``await handler(event)`` -> **200** and the event is remembered; the handler raises
   -> **500** and the claim is released, so ConnectSafely's redelivery runs it again.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any

import anyio

from .._asgi import serve_lifespan
from .._telemetry import for_receiver
from ..stores import EventStatus, MemoryStore, Store
from ._events import WebhookEvent, decode_event, dedupe_key
from ._signature import SIGNATURE_HEADER, WebhookVerificationError, check_secret, verify_signature

__all__ = ["DEFAULT_MAX_BODY_SIZE", "WebhookReceiver"]

logger = logging.getLogger("connectsafely.webhooks")

DEFAULT_MAX_BODY_SIZE = 1024 * 1024
"""1 MiB: far above any documented event (a message event is about 1 KB)."""

MEMORY_TTL = 24 * 3600.0
"""How long the default in-memory store remembers handled events (a day)."""

LEASE = 20.0
"""Seconds a claim lives without renewal. Renewed every `LEASE` / 4 while the handler
runs, so only a process that died leaves one behind, and it expires before
ConnectSafely's last retry (about 30 s after the first attempt failed)."""

# As wide as frameworks type them (Starlette: MutableMapping), so the receiver mounts
# under any of them and `LoopbackServer` alike; what it sends is always a plain dict.
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
Handler = Callable[[WebhookEvent], Awaitable[object]]

if TYPE_CHECKING:
    from opentelemetry.metrics import MeterProvider

_SIGNATURE = SIGNATURE_HEADER.lower().encode("latin-1")
_JSON = [(b"content-type", b"application/json")]


class WebhookReceiver:
    """An ASGI app that receives ConnectSafely webhooks and calls ``handler`` once per event.

    Every delivery is verified (HMAC-SHA256 of the raw body), decoded into a
    `MessageReceived` (or `UnknownWebhookEvent`) and passed to ``await handler(event)``.
    The answer tells ConnectSafely whether to deliver again:

    ======  ==============================================================================
    status  when
    ======  ==============================================================================
    200     the handler returned; or the event was already handled (not called again)
    400     correctly signed, but not a JSON event
    401     signature missing or wrong
    405     not a ``POST`` (``Allow: POST``)
    409     the same event is being handled right now by another request (retried later)
    413     body over ``max_body_size`` (refused without reading the rest)
    500     the handler raised: ConnectSafely redelivers (about 10 s, then 20 s later)
    503     the store cannot be reached: the handler is not called; redelivered later
    ======  ==============================================================================

    Answer within 15 seconds (ConnectSafely's limit, after which it retries): put long
    work on a queue and return.

    Args:
        secret: The webhook's signing secret (shown once when the webhook is created).
            Never shown in a repr, a log line or an error.
        handler: ``async def handler(event) -> None``.
        max_body_size: The largest body accepted, in bytes (1 MiB).
        store: Where handled events are remembered: any `connectsafely.stores` store,
            so replicas sharing a `RedisStore` (or processes sharing a `SQLiteStore`)
            call the handler once per event between them. By default a `MemoryStore`
            of this receiver that remembers events for a day.
        meter_provider: The OpenTelemetry `MeterProvider` that counts deliveries in
            ``connectsafely.webhooks.events`` by ``outcome`` (``handled``,
            ``duplicate``, ``rejected``, ``failed``); defaults to the global one, looked
            up at the first delivery. See ``docs/observability.md``.

    Raises:
        ValueError: An empty secret or a ``max_body_size`` below 1.
        TypeError: A handler that is not an ``async def`` function (an object whose
            ``__call__`` is one, or a `functools.partial` of one, is fine): a plain
            function would fail every delivery with 500, so it is refused here. Also
            a ``meter_provider`` that is not an OpenTelemetry `MeterProvider`.

    Examples:
        >>> async def on_event(event):
        ...     print(event)
        >>> receiver = WebhookReceiver(secret="whsec_example", handler=on_event)
        >>> receiver.max_body_size, receiver.store
        (1048576, MemoryStore(lease=120, ttl=86400))
    """

    def __init__(
        self,
        secret: str,
        handler: Handler,
        *,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
        store: Store | None = None,
        meter_provider: MeterProvider | None = None,
    ) -> None:
        key = check_secret(secret)
        _check_handler(handler)
        if isinstance(max_body_size, bool) or not isinstance(max_body_size, int):
            raise TypeError("max_body_size must be an int (bytes).")
        if max_body_size < 1:
            raise ValueError(f"max_body_size must be at least 1 byte, got {max_body_size}.")
        if store is not None and not isinstance(store, Store):
            raise TypeError(
                f"store must be a connectsafely.stores.Store, not {type(store).__name__}."
            )
        self._telemetry = for_receiver(meter_provider)
        self._secret = secret
        self.handler = handler
        self.max_body_size = max_body_size
        self.store: Store = store if store is not None else MemoryStore(ttl=MEMORY_TTL)
        # Events are remembered per webhook (a digest of its secret, never the secret), so
        # two endpoints sharing one store do not swallow each other's events.
        self._prefix = (
            "webhook:" + hashlib.sha256(b"connectsafely-webhook\0" + key).hexdigest()[:16] + ":"
        )

    def __repr__(self) -> str:
        name = getattr(self.handler, "__qualname__", None) or type(self.handler).__name__
        return (
            f"WebhookReceiver(handler={name}, max_body_size={self.max_body_size}, "
            f"store={self.store!r})"
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer one ASGI connection (``http``; ``lifespan`` is acknowledged)."""
        kind = scope.get("type")
        if kind == "http":
            answer = await self._answer(scope, receive)
            if answer is not None:
                if self._telemetry is not None:
                    self._count(answer[0], answer[1])
                await _respond(send, *answer)
        elif kind == "lifespan":
            await serve_lifespan(receive, send)
        elif kind == "websocket":
            await send({"type": "websocket.close", "code": 1008})

    def _count(self, status: int, body: bytes) -> None:
        """One delivery in ``connectsafely.webhooks.events`` (telemetry on only)."""
        assert self._telemetry is not None
        telemetry = self._telemetry = self._telemetry.ready()
        if telemetry is not None:
            telemetry.webhook_event(_outcome(status, body))

    async def _answer(  # noqa: PLR0911 - one return per refusal, in pipeline order
        self, scope: Scope, receive: Receive
    ) -> tuple[int, bytes, list[tuple[bytes, bytes]]] | None:
        if scope.get("method") != "POST":
            return 405, b'{"error": "method not allowed: POST only"}', [(b"allow", b"POST")]
        signature: str | None = None
        length: bytes | None = None
        for name, value in scope.get("headers") or ():
            lowered = name.lower()
            if lowered == _SIGNATURE:
                signature = value.decode("latin-1")
            elif lowered == b"content-length":
                length = value
        if length is not None and (
            not length.strip().isdigit() or int(length) > self.max_body_size
        ):
            return _too_large(self.max_body_size)
        body = await self._read(receive)
        if body is None:
            return None  # the client went away: nobody to answer
        if body is _TOO_LARGE:
            return _too_large(self.max_body_size)
        try:
            verify_signature(body, signature, self._secret)
        except WebhookVerificationError as exc:
            logger.warning("Webhook refused with 401: %s", exc)
            return 401, b'{"error": "invalid signature"}', []
        try:
            event = decode_event(body)
        except ValueError as exc:
            logger.warning("Webhook refused with 400: %s", exc)
            return 400, _error(str(exc)), []
        return await self._handle(event, dedupe_key(event, body))

    async def _read(self, receive: Receive) -> bytes | None:
        """The whole body, `_TOO_LARGE` as soon as it passes the limit, or None when the
        client disconnected."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_size:
                return _TOO_LARGE
            if chunk:
                chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    async def _handle(
        self, event: WebhookEvent, event_key: str
    ) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
        key = self._prefix + event_key
        token = secrets.token_hex(8)
        try:
            status = await self.store.claim_event(key, token, time.time(), LEASE)
        except Exception:
            logger.exception("Webhook store failed for %s; answering 503", event_key)
            return 503, b'{"error": "store unavailable"}', [(b"retry-after", b"10")]
        if status is EventStatus.HANDLED:
            return 200, _DUPLICATE, []
        if status is EventStatus.IN_PROGRESS:
            return 409, b'{"error": "this event is being handled by another request"}', []
        try:
            failed = await self._run(event, key, token)
        except BaseException:  # cancelled (server shutting down): let a redelivery run it
            with anyio.CancelScope(shield=True):
                await self._forget(key, token)
            raise
        if failed is not None:
            logger.error(
                "Webhook handler failed for %s; answering 500 so ConnectSafely redelivers it",
                event_key,
                exc_info=failed,
            )
            await self._forget(key, token)
            return 500, b'{"error": "handler failed"}', []
        try:
            await self.store.finish_event(key, token, time.time())
        except Exception:
            # Handled, but not remembered: answering 200 is still right (a redelivery
            # would run the handler again, which is what a 500 would cause anyway).
            logger.exception("Webhook store failed to record %s as handled", event_key)
        return 200, b'{"ok": true}', []

    async def _run(self, event: WebhookEvent, key: str, token: str) -> Exception | None:
        """Await the handler while renewing the claim; the exception it raised, if any."""
        failure: Exception | None = None
        async with anyio.create_task_group() as group:
            group.start_soon(self._keep, key, token)
            try:
                await self.handler(event)
            except Exception as exc:
                failure = exc
            finally:
                group.cancel_scope.cancel()
        return failure

    async def _keep(self, key: str, token: str) -> None:
        while True:
            await anyio.sleep(LEASE / 4)
            try:
                await self.store.renew_event(key, token, time.time(), LEASE)
            except Exception:  # the next renewal may succeed; the handler goes on
                logger.warning("Webhook store failed to renew a claim", exc_info=True)

    async def _forget(self, key: str, token: str) -> None:
        try:
            await self.store.release_event(key, token)
        except Exception:  # the claim then expires after LEASE seconds
            logger.warning("Webhook store failed to release a claim", exc_info=True)


def _check_handler(handler: object) -> None:
    """Refuse a handler the receiver could not await (see `WebhookReceiver`'s Raises)."""
    if not callable(handler):
        raise TypeError(
            f"handler must be an async function (async def handler(event)), not "
            f"{type(handler).__name__}."
        )
    target: Any = handler
    while isinstance(target, functools.partial):
        target = target.func
    if inspect.iscoroutinefunction(target) or (
        not inspect.isclass(target)
        and inspect.iscoroutinefunction(getattr(target, "__call__", None))  # noqa: B004
    ):
        return
    name = getattr(target, "__qualname__", None) or type(target).__name__
    raise TypeError(
        f"handler must be an async function (async def handler(event)); {name} is not: "
        "the receiver awaits handler(event) for every delivery, so a plain function would "
        "answer each one 500 and the events would be dropped after the retries."
    )


_TOO_LARGE = b"\0too large"  # a sentinel no read returns (compared by identity)
_DUPLICATE = b'{"ok": true, "duplicate": true}'


def _outcome(status: int, body: bytes) -> str:
    """What became of a delivery, for the ``connectsafely.webhooks.events`` counter."""
    if status == 200:
        return "duplicate" if body is _DUPLICATE else "handled"
    if status == 409:  # the same event, being handled by another request right now
        return "duplicate"
    if status >= 500:  # the handler raised, or the store was out of reach: redelivered
        return "failed"
    return "rejected"  # 400, 401, 405, 413: not a delivery we accept


def _too_large(limit: int) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
    # The rest of the body stays unread, so the connection cannot be reused.
    return 413, _error(f"body larger than {limit} bytes"), [(b"connection", b"close")]


def _error(text: str) -> bytes:
    import json

    return json.dumps({"error": text}).encode()


async def _respond(
    send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*_JSON, (b"content-length", str(len(body)).encode()), *headers],
        }
    )
    await send({"type": "http.response.body", "body": body})
