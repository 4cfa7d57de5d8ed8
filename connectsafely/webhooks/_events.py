"""Webhook events: the documented ``message.received`` and anything newer, decoded.

The envelope is ``{"event": <name>, "object": "event", "data": {...}}``; ``data`` uses
snake_case names (unlike the REST API). Event types this version does not know become
`UnknownWebhookEvent` (the docs promise new types may appear), never an error.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any, TypeAlias

import attrs

from ._signature import SIGNATURE_HEADER, verify_signature

__all__ = [
    "MessageReceived",
    "UnknownWebhookEvent",
    "WebhookEvent",
    "WebhookSender",
    "decode_event",
    "dedupe_key",
    "header_value",
    "parse_event",
]

MESSAGE_RECEIVED = "message.received"


@attrs.frozen
class WebhookSender:
    """Who sent a received message.

    Attributes:
        id: The sender's profile URN (``urn:li:fsd_profile:ACoAA...``), not a vanity slug.
        name: Their display name.
        profile_url: Their profile URL (often ``None``).
        profile_picture: Their picture URL, or ``None``.
    """

    id: str
    name: str | None = None
    profile_url: str | None = None
    profile_picture: str | None = None


@attrs.frozen
class MessageReceived:
    """``message.received``: a LinkedIn message arrived on a connected account.

    Attributes:
        id: The event's id (the same value as `message_urn`).
        message_urn: LinkedIn's message URN (``urn:li:messagingMessage:2-...``), the
            documented key to deduplicate on.
        account_id: The ConnectSafely account that received it.
        provider: ``"LINKEDIN"``.
        sender: Who sent it (`WebhookSender`).
        text: The message text (the payload's ``body``).
        timestamp: When it was sent, an aware UTC `datetime`.
        conversation_id: The thread's backend URN (``urn:li:messagingThread:2-...``). The
            REST calls use another form of it: reply with
            ``recipient_profile_urn=event.sender.id`` rather than building a URN.
        attachments: The attachment objects as sent (their shape is undocumented).
    """

    id: str
    message_urn: str
    account_id: str
    provider: str
    sender: WebhookSender
    text: str
    timestamp: datetime
    conversation_id: str | None
    attachments: tuple[dict[str, Any], ...] = ()

    event = MESSAGE_RECEIVED
    """The event type, as on the wire."""


@attrs.frozen
class UnknownWebhookEvent:
    """An event type this version of the SDK does not know (answer it, ignore it).

    Attributes:
        event: The event type, e.g. ``"message.read"``.
        data: Its ``data`` object, as sent.
    """

    event: str
    data: dict[str, Any]


WebhookEvent: TypeAlias = MessageReceived | UnknownWebhookEvent
"""Every event `parse_event` returns: `MessageReceived` or `UnknownWebhookEvent`."""


def header_value(headers: Mapping[str, str], name: str) -> str | None:
    """A header's value, whatever the spelling of its name in ``headers``."""
    value = headers.get(name)
    if value is None:
        value = headers.get(name.lower())
    if value is None:
        wanted = name.lower()
        for key, candidate in headers.items():
            if key.lower() == wanted:
                return candidate
    return value


def parse_event(body: bytes, headers: Mapping[str, str], secret: str) -> WebhookEvent:
    """Verify a webhook request's signature, then decode its body.

    Args:
        body: The raw request body, exactly as received (verify before parsing).
        headers: The request's headers; ``X-Webhook-Signature`` is found in any spelling.
        secret: The webhook's signing secret.

    Returns:
        `MessageReceived`, or `UnknownWebhookEvent` for event types this version does
        not know.

    Raises:
        WebhookVerificationError: The signature is missing or wrong (checked first).
        ValueError: The signed body is not a JSON object with an ``event`` name and a
            ``data`` object, or a ``message.received`` lacks a documented field.

    Examples:
        >>> from connectsafely.webhooks import sign
        >>> body = b'{"event": "connection.accepted", "object": "event", "data": {}}'
        >>> parse_event(body, {"x-webhook-signature": sign(body, "s3cret")}, "s3cret")
        UnknownWebhookEvent(event='connection.accepted', data={})
    """
    verify_signature(body, header_value(headers, SIGNATURE_HEADER), secret)
    return decode_event(body)


def decode_event(body: bytes | bytearray | memoryview) -> WebhookEvent:
    """Decode a (verified) body into an event; `ValueError` when it is not one."""
    try:
        document = json.loads(body if not isinstance(body, memoryview) else bytes(body))
    except RecursionError:
        raise ValueError("The webhook body is not JSON: it is nested too deeply.") from None
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, int too long
        raise ValueError(f"The webhook body is not JSON: {_short(exc)}") from None
    if type(document) is not dict:
        raise ValueError(f"The webhook body is JSON {_kind(document)}, not an event object.")
    name = document.get("event")
    if type(name) is not str or not name:
        raise ValueError('The webhook body has no "event" name: it is not an event.')
    data = document.get("data")
    if type(data) is not dict:
        raise ValueError(f'The webhook event {name!r} has no "data" object.')
    if name == MESSAGE_RECEIVED:
        return _message_received(data)
    return UnknownWebhookEvent(name, data)


def _message_received(data: dict[str, Any]) -> MessageReceived:
    sender = data.get("sender")
    if type(sender) is not dict:
        raise ValueError('message.received: "data.sender" must be an object.')
    message_urn = data.get("message_urn")
    event_id = data.get("id")
    if message_urn is None:
        message_urn = event_id
    if event_id is None:
        event_id = message_urn
    attachments = data.get("attachments")
    if attachments is None:
        attachments = ()
    elif type(attachments) is list and all(type(item) is dict for item in attachments):
        attachments = tuple(attachments)
    else:
        raise ValueError('message.received: "data.attachments" must be a list of objects.')
    return MessageReceived(
        _text(event_id, "id"),
        _text(message_urn, "message_urn"),
        _text(data.get("account_id"), "account_id"),
        _text(data.get("provider", "LINKEDIN"), "provider"),
        WebhookSender(
            _text(sender.get("id"), "sender.id"),
            _optional(sender.get("name"), "sender.name"),
            _optional(sender.get("profile_url"), "sender.profile_url"),
            _optional(sender.get("profile_picture"), "sender.profile_picture"),
        ),
        _text(data.get("body"), "body", empty=True),
        _timestamp(data.get("timestamp")),
        _optional(data.get("conversation_id"), "conversation_id"),
        attachments,
    )


def _text(value: object, field: str, *, empty: bool = False) -> str:
    if type(value) is str and (empty or value):
        return value
    if value is None:
        raise ValueError(f'message.received: "data.{field}" is missing.')
    raise ValueError(f'message.received: "data.{field}" must be a string, got {_kind(value)}.')


def _optional(value: object, field: str) -> str | None:
    if value is None or type(value) is str:
        return value
    raise ValueError(f'message.received: "data.{field}" must be a string, got {_kind(value)}.')


def _timestamp(value: object) -> datetime:
    if type(value) is str:
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            pass
        else:
            if parsed.tzinfo is None:
                return parsed.replace(tzinfo=timezone.utc)
            return parsed.astimezone(timezone.utc)
    elif type(value) is int and 0 <= value < 2**47:  # epoch ms, should the API switch
        return datetime.fromtimestamp(value / 1000, timezone.utc)
    raise ValueError(
        f'message.received: "data.timestamp" must be an ISO 8601 time, got {value!r:.40}.'
    )


def dedupe_key(event: WebhookEvent, body: bytes | bytearray | memoryview) -> str:
    """What identifies an event across redeliveries: its message URN, else its ``id``,
    else (an unknown type without either) a digest of the signed body."""
    if isinstance(event, MessageReceived):
        return "message:" + event.message_urn
    for field in ("message_urn", "id"):
        value = event.data.get(field)
        if type(value) is str and value:
            return f"{event.event}:{value}"
    return "body:" + hashlib.sha256(body).hexdigest()


def _kind(value: object) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}.get(
        type(value), "null" if value is None else "a number"
    )


def _short(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) <= 120 else text[:117] + "..."
