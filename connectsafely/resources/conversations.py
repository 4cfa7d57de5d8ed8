"""``client.conversations``: send messages and read conversations."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .. import _validate as check
from .._models import Attachment, SendResult
from .._types import MessagingChannel
from ._base import Resource

__all__ = ["Conversations"]


class Conversations(Resource):
    """Send LinkedIn messages and read conversations (``client.conversations``)."""

    __slots__ = ()

    async def send(
        self,
        message: str,
        *,
        recipient_profile_id: str | None = None,
        recipient_profile_urn: str | None = None,
        conversation_urn: str | None = None,
        subject: str | None = None,
        attachments: Iterable[Attachment | Mapping[str, Any]] = (),
        messaging_channel: MessagingChannel | str = MessagingChannel.AUTO,
        account_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> SendResult:
        """Send a LinkedIn message (``POST /linkedin/conversations/send``).

        Give at least one recipient form: ``conversation_urn`` replies into an existing
        thread (and does not count against the 150/day new-conversation quota);
        ``recipient_profile_urn`` is preferred over ``recipient_profile_id`` (the
        vanity slug) for a new thread.

        Args:
            message: The message text.
            recipient_profile_id: The recipient's vanity slug, e.g. ``"john-doe-123"``.
            recipient_profile_urn: The recipient's URN, ``"urn:li:fsd_profile:ACoAA..."``.
            conversation_urn: An existing conversation to reply into.
            subject: Optional subject line.
            attachments: Values returned by `client.attachments.upload`.
            messaging_channel: ``"auto"`` (default), ``"sales_navigator"`` or
                ``"linkedin_inbox"`` (or a `MessagingChannel`).
            account_id: The LinkedIn account to send from; defaults to the client's.
            idempotency_key: Sent as ``Idempotency-Key``; one is generated per call when
                omitted. The same key is used on every retry of this call.

        Returns:
            The `SendResult`; ``thread_id`` is set only for Sales Navigator sends.

        Raises:
            ValueError: Blank message, no recipient, unknown channel, or an attachment
                that is not an upload. Nothing is sent.
            TypeError: An argument of the wrong type. Nothing is sent.
            BadRequestError: E.g. Sales Navigator forced on an account without it.
            RateLimitError: The daily new-conversation quota is used up
                (``retry_after`` says when it resets).
            OperationFailedError: The API answered 2xx with ``"success": false``.

        Retries (5xx, 429, timeouts, dropped connections) reuse the same
        ``Idempotency-Key``. If a send may have reached LinkedIn before the failure, a
        retry can duplicate it; use ``client.with_options(max_retries=0)`` to opt out.
        """
        body: dict[str, Any] = {"message": check.required_text(message, "message")}
        profile_id = check.optional_str(recipient_profile_id, "recipient_profile_id")
        profile_urn = (
            None
            if recipient_profile_urn is None
            else check.urn(recipient_profile_urn, "recipient_profile_urn")
        )
        thread = (
            None if conversation_urn is None else check.urn(conversation_urn, "conversation_urn")
        )
        if profile_id is None and profile_urn is None and thread is None:
            raise ValueError(
                "Give a recipient: recipient_profile_id, recipient_profile_urn or conversation_urn."
            )
        if profile_id is not None:
            body["recipientProfileId"] = profile_id
        if profile_urn is not None:
            body["recipientProfileUrn"] = profile_urn
        if thread is not None:
            body["conversationUrn"] = thread
        subject = check.optional_str(subject, "subject")
        if subject is not None:
            body["subject"] = subject
        files = check.attachment_items(attachments)
        if files:
            body["attachments"] = files
        body["messagingChannel"] = check.channel_value(messaging_channel)
        account = self._account(account_id)
        if account is not None:
            body["accountId"] = account
        key = (
            None
            if idempotency_key is None
            else check.header_safe(idempotency_key, "idempotency_key")
        )
        return await self._core.request(
            "POST",
            "/linkedin/conversations/send",
            json_body=body,
            cast_to=SendResult,
            idempotency_key=key,
        )
