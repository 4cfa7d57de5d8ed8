"""Data of a `send_many` batch: what goes in (`SendRequest`) and what comes out."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

import attrs

from .._types import MessagingChannel
from .invitations import InvitationResult
from .messages import Attachment, Message, SendResult

__all__ = ["BulkSummary", "Progress", "ProgressCallback", "SendOutcome", "SendRequest"]


@attrs.frozen
class SendRequest:
    """One message for `Conversations.send_many`: the arguments of ``send``, as data.

    Nothing is checked when you build it: each request is validated just before it is
    sent, and an invalid one becomes a `SendOutcome` with a ``ValueError`` or
    ``TypeError`` instead of stopping the batch.

    Attributes:
        message: The message text.
        recipient_profile_id: The recipient's vanity slug.
        recipient_profile_urn: The recipient's ``urn:li:fsd_profile:...`` URN.
        conversation_urn: An existing conversation to reply into (enables the
            duplicate check, see ``docs/bulk.md``).
        subject: Optional subject line.
        attachments: Values returned by `client.attachments.upload`.
        messaging_channel: ``"auto"``, ``"sales_navigator"`` or ``"linkedin_inbox"``.
        account_id: The LinkedIn account to send from; defaults to the client's.
        idempotency_key: Sent as ``Idempotency-Key``; generated when omitted.
        unless_replied_since: The stop-on-reply guard of `Conversations.send`: an
            aware `datetime`; a reply after it leaves the item unsent, its outcome's
            ``skipped_reply`` the reply.

    Examples:
        >>> SendRequest("Hi Ana!", recipient_profile_id="ana-lima").message
        'Hi Ana!'
    """

    message: str
    recipient_profile_id: str | None = attrs.field(default=None, kw_only=True)
    recipient_profile_urn: str | None = attrs.field(default=None, kw_only=True)
    conversation_urn: str | None = attrs.field(default=None, kw_only=True)
    subject: str | None = attrs.field(default=None, kw_only=True)
    attachments: Iterable[Attachment | Mapping[str, Any]] = attrs.field(default=(), kw_only=True)
    messaging_channel: MessagingChannel | str = attrs.field(
        default=MessagingChannel.AUTO, kw_only=True
    )
    account_id: str | None = attrs.field(default=None, kw_only=True)
    idempotency_key: str | None = attrs.field(default=None, kw_only=True)
    unless_replied_since: datetime | None = attrs.field(default=None, kw_only=True)

    def send_kwargs(self) -> dict[str, Any]:
        """The keyword arguments of `Conversations.send` for this request."""
        attachments = self.attachments
        if not isinstance(attachments, (str, bytes, Mapping, Attachment, tuple, list)) and (
            isinstance(attachments, Iterable)
        ):
            # A one-shot iterator would be empty on a second attempt.
            attachments = tuple(attachments)
        return {
            "message": self.message,
            "recipient_profile_id": self.recipient_profile_id,
            "recipient_profile_urn": self.recipient_profile_urn,
            "conversation_urn": self.conversation_urn,
            "subject": self.subject,
            "attachments": attachments,
            "messaging_channel": self.messaging_channel,
            "account_id": self.account_id,
            "idempotency_key": self.idempotency_key,
            "unless_replied_since": self.unless_replied_since,
        }


@attrs.frozen
class SendOutcome:
    """What happened to one item of a `send_many` batch.

    Attributes:
        index: The item's 0-based position in your input.
        request: The item as you gave it (normally a `SendRequest`, or an
            `InvitationRequest` in ``invitations.send_many``).
        result: When the send succeeded, its result, else ``None``: a `SendResult`
            for a message, an `InvitationResult` for a connection request.
        error: The exception when it failed (an API error, or ``ValueError`` /
            ``TypeError`` for an invalid item), else ``None``.
        deduplicated: True when the send's response was lost but the duplicate check
            found the message in the conversation, so it was not sent again. ``result``
            is then built from that message (``recipient_profile_urn`` is ``None``).
        replayed: True when nothing was sent for this item because the send ledger
            knew its ``idempotency_key`` as delivered (a re-run after a crash), or a
            check found the message already delivered (``result.replayed``).
        skipped_reply: The prospect's reply that stopped this item's follow-up
            (``unless_replied_since``): nothing was sent, ``result`` and ``error`` are
            ``None`` and ``ok`` is False; else ``None``.
    """

    index: int
    request: Any
    result: SendResult | InvitationResult | None = None
    error: Exception | None = None
    deduplicated: bool = False
    replayed: bool = False
    skipped_reply: Message | None = None

    @property
    def ok(self) -> bool:
        """True when the message was sent (or had been: ``replayed``)."""
        return self.error is None and self.skipped_reply is None


@attrs.frozen
class Progress:
    """Counts passed to ``on_progress`` after every finished item.

    Attributes:
        done: Items finished, successfully or not.
        failed: Items finished with an error (included in ``done``).
        in_flight: Items being sent right now.
        total: How many items there are, when the input has a length; else ``None``.
        refused_locally: Failed items that were never sent because a limit the SDK
            already knew about refused them (an account on hold, a used-up daily
            quota), per account id (``None``: the default account). Included in
            ``failed``.
        skipped_reply: Items not sent because the prospect had replied (the
            stop-on-reply guard); included in ``done``, not in ``failed``.
    """

    done: int
    failed: int
    in_flight: int
    total: int | None
    refused_locally: Mapping[str | None, int] = attrs.field(factory=dict)
    skipped_reply: int = 0

    @property
    def succeeded(self) -> int:
        """Items sent successfully."""
        return self.done - self.failed - self.skipped_reply


@attrs.frozen
class BulkSummary:
    """Where a batch stands; after an early exit, exactly what was and was not done.

    Attributes:
        done: Items finished (successfully or not).
        failed: Items finished with an error.
        interrupted: Indices that were being sent when the batch was stopped: whether
            the message went out is unknown (check before sending them again).
        not_attempted: Indices read from your input but never sent.
        unread_from: The index of the first item never read from your input (it and
            every later item were not attempted), or ``None`` when the input was read
            to its end.
        undelivered: Outcomes of items that finished but that you had not received
            yet when the batch stopped.
        complete: True when every item was read and finished.
        refused_locally: Items refused without a request (an account on hold or out
            of its daily quota), per account id; see `Progress.refused_locally`.
        skipped_reply: Items not sent because the prospect had replied (the
            stop-on-reply guard, ``SendRequest.unless_replied_since``); in ``done``,
            not in ``failed``.
    """

    done: int
    failed: int
    interrupted: tuple[int, ...]
    not_attempted: tuple[int, ...]
    unread_from: int | None
    undelivered: tuple[SendOutcome, ...]
    complete: bool
    refused_locally: Mapping[str | None, int] = attrs.field(factory=dict)
    skipped_reply: int = 0


ProgressCallback = Callable[[Progress], object]
"""What ``on_progress`` may be: called with a `Progress` after every finished item."""
