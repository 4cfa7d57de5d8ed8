"""Response models: frozen, slotted attrs classes decoded by the converter in `_serde`.

Field names are the API's camelCase keys in snake_case. Every field the API might omit
defaults to ``None`` (or an empty tuple for lists), so a sparse response still decodes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any, ClassVar

import attrs

__all__ = [
    "Attachment",
    "Message",
    "MessagesPage",
    "Participant",
    "SendResult",
    "SentMessage",
]


@attrs.frozen
class Attachment:
    """A file uploaded with `client.attachments.upload`, ready to pass to ``send``.

    Attributes:
        asset_urn: LinkedIn's asset URN for the uploaded file.
        byte_size: Size of the file in bytes.
        media_type: The MIME type it was uploaded with; ``image/png``, ``image/jpeg``,
            ``image/gif`` and ``image/webp`` show inline, anything else as a file.
        name: The file name the recipient sees.
    """

    asset_urn: str
    byte_size: int | None = None
    media_type: str | None = None
    name: str | None = None


@attrs.frozen
class Participant:
    """Someone taking part in a conversation.

    Attributes:
        profile_id: Their LinkedIn profile id.
        name: Display name.
        headline: Profile headline.
        profile_picture: URL of their profile picture.
        profile_url: Their LinkedIn profile URL (conversation lists only).
        distance: Network distance, e.g. ``"DISTANCE_1"`` for a first-degree
            connection (conversation lists only).
    """

    profile_id: str | None = None
    name: str | None = None
    headline: str | None = None
    profile_picture: str | None = None
    profile_url: str | None = None
    distance: str | None = None


@attrs.frozen
class Message:
    """One message in a conversation.

    Attributes:
        message_urn: The message's URN; unique within the conversation.
        text: The message text.
        sent_at: When it was sent, as an aware UTC datetime.
        sender_profile_id: Profile id of the sender.
        sender_name: Display name of the sender.
        sender_photo: URL of the sender's photo.
        is_sent_by_owner: True when the connected account sent it.
        has_attachment: True when the message carries attachments.
        attachments: The attachments as the API returns them (their shape is not
            documented by the API, so they are kept as plain dicts).
    """

    message_urn: str | None = None
    text: str | None = None
    sent_at: datetime | None = None
    sender_profile_id: str | None = None
    sender_name: str | None = None
    sender_photo: str | None = None
    is_sent_by_owner: bool | None = None
    has_attachment: bool | None = None
    attachments: tuple[dict[str, Any], ...] = ()


@attrs.frozen
class MessagesPage:
    """One page of a conversation's messages, newest first.

    Attributes:
        messages: The messages on this page.
        participants: The people in the conversation.
        has_more: True when older messages remain.
        cursor: Cursor of the next (older) page, opaque.
        note: A free-text hint from the server (e.g. about caching), often empty.
    """

    messages: tuple[Message, ...] = ()
    participants: tuple[Participant, ...] = ()
    has_more: bool | None = None
    cursor: str | None = None
    note: str | None = None


def _frozen_mapping(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(value))


@attrs.frozen
class SentMessage(Message, Mapping[str, Any]):
    """The message a send delivered: a typed `Message` that is also a read-only mapping.

    Read it like any `Message` (``sent.message_urn``, ``sent.sent_at``), or by the API's
    field names, as the plain dict it used to be: ``sent["messageUrn"]``,
    ``sent.get("sentAt")``, ``"text" in sent``, ``sent.keys()``, ``dict(sent)``. The
    mapping is the object exactly as received (``raw``), so ``sent["sentAt"]`` is still the
    API's epoch milliseconds while ``sent.sent_at`` is an aware datetime. Equality and
    hashing are those of the typed fields.

    Attributes:
        raw: The ``sentMessage`` object as received (read-only).
    """

    raw: Mapping[str, Any] = attrs.field(
        factory=dict, converter=_frozen_mapping, eq=False, repr=False
    )
    # Keys a send's answer leaves out (the decoder reads them with `get`, see `_serde`).
    _often_absent: ClassVar[tuple[str, ...]] = ("has_attachment", "attachments")

    @classmethod
    def from_message(cls, message: Message, raw: Mapping[str, Any] | None = None) -> SentMessage:
        """The `SentMessage` of ``message``; ``raw`` defaults to its API form."""
        if raw is None:
            from .._serde import unstructure

            raw = unstructure(message)
        values = {field.name: getattr(message, field.name) for field in attrs.fields(Message)}
        return cls(**values, raw=raw)

    def __getitem__(self, key: str) -> Any:
        return self.raw[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.raw)

    def __len__(self) -> int:
        return len(self.raw)

    def __reduce__(self) -> tuple[Any, ...]:
        # The read-only view does not pickle; the fields and a plain dict do.
        values = {field.name: getattr(self, field.name) for field in attrs.fields(Message)}
        return (_rebuild_sent_message, (values, dict(self.raw)))


def _rebuild_sent_message(values: dict[str, Any], raw: dict[str, Any]) -> SentMessage:
    return SentMessage(**values, raw=raw)


def _as_sent_message(value: object) -> SentMessage | None:
    """`SendResult.sent_message` from what a caller passes: a `SentMessage`, a
    `Message`, the API's mapping, or None."""
    if value is None or isinstance(value, SentMessage):
        return value
    if isinstance(value, Message):
        return SentMessage.from_message(value)
    if isinstance(value, Mapping):
        from .._serde import structure

        return structure(dict(value), SentMessage)
    raise TypeError(
        f"sent_message must be a Message, a mapping or None, got {type(value).__name__}"
    )


@attrs.frozen
class SendResult:
    """The outcome of `client.conversations.send`.

    Attributes:
        success: Always True (a failure raises instead).
        message: The server's message field; it may echo the text or be a status
            sentence, so do not rely on its content.
        recipient_profile_urn: The recipient's resolved profile URN.
        sent_message: The sent message as a `SentMessage`: a typed `Message`
            (``result.sent_message.message_urn``) that also reads as the API's mapping
            (``result.sent_message["messageUrn"]``); ``None`` when the answer has none.
        thread_id: The Sales Navigator thread id, only for Sales Navigator sends.
        replayed: True when no message was sent by this call because the send ledger
            knew the idempotency key as delivered (the recorded result is returned), or
            a check found the message already in the conversation.
    """

    success: bool = True
    message: str | None = None
    recipient_profile_urn: str | None = None
    sent_message: SentMessage | None = attrs.field(default=None, converter=_as_sent_message)
    thread_id: str | None = None
    replayed: bool = False
    # Keys the API's answer usually leaves out: `threadId` (Sales Navigator only) and
    # `replayed` (the SDK's own; the decoder reads them with `get`, see `_serde`).
    _often_absent: ClassVar[tuple[str, ...]] = ("thread_id", "replayed")
