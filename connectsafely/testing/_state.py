"""The fake server's in-memory world: accounts, conversations, messages, uploads, sends."""

from __future__ import annotations

import base64
import hashlib
import itertools
from datetime import date
from typing import Any, Literal

import attrs

__all__ = [
    "AcceptedSend",
    "FakeAccount",
    "FakeConversation",
    "FakeHTTPError",
    "FakeMessage",
    "StoredUpload",
]

ConversationKind = Literal["standard", "sales_navigator"]

DAILY_NEW_CONVERSATION_QUOTA = 150
"""New (cold) conversations one LinkedIn account may start per UTC day."""

_ids = itertools.count(1)


def next_id() -> int:
    """A process-wide increasing number for building unique ids."""
    return next(_ids)


def b64_id(*parts: object) -> str:
    """A LinkedIn-looking ``2-<base64>==`` thread/message id derived from ``parts``."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()[:24]
    return "2-" + base64.b64encode(digest).decode()


class FakeHTTPError(Exception):
    """Raised by a route to answer with an API error in the fake's error style."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str = "error",
        headers: dict[str, str] | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.headers = headers or {}
        self.field = field


@attrs.define
class FakeAccount:
    """A LinkedIn account connected to the fake workspace.

    Attributes:
        account_id: 24-hex id as the real API uses.
        name: Display name of the account owner.
        profile_id: The owner's ``ACoAA...`` profile id (used in URNs).
        sales_navigator: Whether the account has an active Sales Navigator subscription.
        daily_quota: New conversations allowed per UTC day.
        new_conversations_today: Cold sends accepted on the UTC day (of the fake's
            clock) of the latest cold send; the next cold send on a later day starts
            again from 0.
    """

    account_id: str
    name: str
    profile_id: str
    sales_navigator: bool = False
    daily_quota: int = DAILY_NEW_CONVERSATION_QUOTA
    new_conversations_today: int = 0
    # The UTC day `new_conversations_today` counts; None until the first cold send, so a
    # count a test seeds by hand counts for whatever day that send happens on.
    _quota_day: date | None = attrs.field(default=None, alias="_quota_day", repr=False)


@attrs.define
class FakeMessage:
    """One stored message."""

    message_urn: str
    text: str
    sent_at: int  # epoch ms
    sender_profile_id: str
    sender_name: str
    is_sent_by_owner: bool
    sender_photo: str = "https://media.licdn.com/dms/image/fake-photo"
    attachments: list[dict[str, Any]] = attrs.field(factory=list)
    reactions: set[str] = attrs.field(factory=set)

    def to_json(self) -> dict[str, Any]:
        """The API's camelCase message object."""
        return {
            "messageUrn": self.message_urn,
            "text": self.text,
            "sentAt": self.sent_at,
            "senderProfileId": self.sender_profile_id,
            "senderName": self.sender_name,
            "senderPhoto": self.sender_photo,
            "isSentByOwner": self.is_sent_by_owner,
            "hasAttachment": bool(self.attachments),
            "attachments": list(self.attachments),
        }


@attrs.define
class FakeConversation:
    """A conversation thread: standard inbox or Sales Navigator.

    ``messages`` is kept oldest -> newest; the messages route serves newest first.
    """

    urn: str
    account_id: str
    kind: ConversationKind
    participants: list[dict[str, Any]]
    messages: list[FakeMessage] = attrs.field(factory=list)
    note: str = ""
    thread_id: str | None = None
    recipient_profile_id: str | None = None
    recipient_profile_urn: str | None = None
    starred: bool = False
    unread: bool = False
    unread_count: int = 0
    labels: set[str] = attrs.field(factory=set)


@attrs.define
class StoredUpload:
    """A file the fake accepted through the upload route."""

    asset_urn: str
    account_id: str
    name: str
    media_type: str
    data: bytes = attrs.field(repr=lambda b: f"<{len(b)} bytes>")

    @property
    def byte_size(self) -> int:
        """Size in bytes."""
        return len(self.data)


@attrs.define
class AcceptedSend:
    """A message the send route accepted (what would have reached LinkedIn).

    Attributes:
        account_id: The sending account.
        conversation_urn: The thread it went into.
        text: The message text.
        channel: ``sales_navigator`` or ``linkedin_inbox`` (after ``auto`` resolution).
        idempotency_key: The request's ``Idempotency-Key``.
        body: The request body as received.
        new_conversation: True when it started a conversation (counts against quota).
    """

    account_id: str
    conversation_urn: str
    text: str
    channel: str
    idempotency_key: str | None
    body: dict[str, Any]
    new_conversation: bool
