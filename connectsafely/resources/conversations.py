"""``client.conversations``: send messages and read conversations."""

from __future__ import annotations

from collections.abc import AsyncIterable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs

from .. import _validate as check
from .._models import Attachment, Message, MessagesPage, SendResult
from .._types import MessagingChannel
from .._urns import path_segment
from ._base import Resource
from ._inbox import InboxMethods
from ._media import MediaMethods

if TYPE_CHECKING:
    # Imported where used instead: bulk sending and pagination are not needed by
    # `import connectsafely` (see the lazy names in `connectsafely/__init__.py`).
    from .._bulk import BulkSend, ProgressCallback, SendRequest
    from .._pagination import AsyncPager, Fetched

__all__ = ["Conversations"]


class Conversations(InboxMethods, MediaMethods, Resource):
    """Send LinkedIn messages and read conversations (``client.conversations``).

    Listing, the exists check, sync and thread actions come from `InboxMethods`
    (``_inbox.py``); media downloads from `MediaMethods` (``_media.py``).
    """

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

    def send_many(
        self,
        items: Iterable[SendRequest] | AsyncIterable[SendRequest],
        *,
        concurrency: int = 8,
        on_progress: ProgressCallback | None = None,
        dedupe: bool = True,
    ) -> BulkSend:
        """Send many messages with bounded concurrency, one `SendOutcome` per item.

        Run it inside ``async with``; outcomes arrive in completion order, and one
        failed item never stops the others. Leaving the block early (``break``, an
        exception, cancellation, Ctrl-C) stops the rest at once, and
        ``outcomes.summary`` then lists what was not attempted. A plain ``async for``
        without the block also works, sending in windows of ``concurrency`` items that
        finish within each step (slower, but a ``break`` leaves nothing running). Every
        request obeys the client's rate-limit coordination (``AsyncClient(rate_limit=...)``
        and the server's 429s). See ``docs/bulk.md``.

        Example:
            >>> async with client.conversations.send_many(requests) as outcomes:  # doctest: +SKIP
            ...     async for outcome in outcomes:
            ...         print(outcome.index, outcome.ok)

        Args:
            items: `SendRequest` objects, from any iterable or async iterable; read
                lazily (a few ahead of the senders), so a generator of millions is fine.
            concurrency: How many sends may be in flight at once.
            on_progress: Called with a `Progress` (done, failed, in flight, total)
                after every finished item; keep it quick, it runs in the batch.
            dedupe: For replies (``conversation_urn`` given) whose outcome is unknown
                (a 5xx, or the connection died after the request was sent), read the
                conversation before sending again and count an identical message from
                the account owner as delivered. On by default.

        Returns:
            A `BulkSend` (an async context manager and async iterator of `SendOutcome`).
            ``await connectsafely.collect_in_order(...)`` runs it and returns the
            outcomes in input order.

        Raises:
            TypeError: ``items`` is not iterable, or a bad ``concurrency`` /
                ``on_progress``. Raised here, before anything is sent.
            ValueError: ``concurrency`` below 1.
        """
        from .._bulk import BulkSend

        return BulkSend(
            self, items, concurrency=concurrency, on_progress=on_progress, dedupe=dedupe
        )

    def messages(
        self,
        conversation_urn: str,
        *,
        account_id: str | None = None,
        page_size: int | None = None,
        since: int | datetime | None = None,
        sync: bool | None = None,
        cursor: str | None = None,
    ) -> AsyncPager[Message, MessagesPage]:
        """Read a conversation's messages, newest first, fetched page by page.

        ``GET /linkedin/conversations/{conversationUrn}/messages``. This is a plain
        method: it checks its arguments at once and returns an `AsyncPager` without
        sending anything; pages are requested as you iterate.

        Example:
            >>> async for message in client.conversations.messages(urn):  # doctest: +SKIP
            ...     print(message.sent_at, message.sender_name, message.text)

        Args:
            conversation_urn: A standard (``urn:li:msg_conversation:(...)``,
                ``urn:li:fs_conversation:...``) or Sales Navigator
                (``urn:li:salesNav_thread:...``) conversation URN, exactly as the API
                gave it; it is percent-encoded for you.
            account_id: The LinkedIn account the conversation belongs to; defaults to
                the client's.
            page_size: Messages per request (``count``; the server's default is 50).
            since: Only messages newer than this: epoch milliseconds or an aware
                `datetime`. Use the ``sent_at`` of the newest message you hold to poll.
            sync: ``False`` returns what ConnectSafely has cached without waiting for
                LinkedIn; ``None`` leaves the server's default (``True``).
            cursor: Start from this (opaque) cursor, e.g. a `MessagesPage.cursor`
                saved from an earlier walk.

        Returns:
            An `AsyncPager` of `Message`; ``.pages()`` yields `MessagesPage` objects.

        Raises:
            ValueError: ``conversation_urn`` is not a ``urn:li:`` URN, ``since`` is a
                naive datetime, is before 1970 or looks like epoch seconds,
                ``page_size`` is not positive. Raised here, before any request.
            TypeError: An argument of the wrong type, also before any request.

        While iterating: `NotFoundError` for an unknown conversation,
        `PaginationError` when the server repeats a cursor, and the usual API errors
        after retries. A failed page fetch leaves the pager in place: iterating again
        retries the same page.
        """
        from .._pagination import AsyncPager, Fetched, bool_param, epoch_ms_param, page_size_param

        segment = path_segment(conversation_urn, "conversation_urn")
        params: dict[str, str] = {}
        for name, value in (
            ("accountId", self._account(account_id)),
            ("count", page_size_param(page_size)),
            ("since", epoch_ms_param(since, "since")),
            ("sync", bool_param(sync, "sync")),
        ):
            if value is not None:
                params[name] = value
        start = None if cursor is None else check.required_text(cursor, "cursor")
        path = f"/linkedin/conversations/{segment}/messages"
        core = self._core

        async def fetch(page_cursor: str | None) -> Fetched[Message, MessagesPage]:
            query = params if page_cursor is None else {**params, "cursor": page_cursor}
            page = await core.request("GET", path, params=query, cast_to=MessagesPage)
            # A missing `hasMore` is not "no more": the cursor decides then.
            return Fetched(page.messages, page.cursor, page.has_more is not False, page)

        return AsyncPager(
            fetch,
            cursor=start,
            key=_message_key,
            rebuild=_page_with,
            label=f"messages in {conversation_urn}",
        )


def _message_key(message: Message) -> str | None:
    return message.message_urn


def _page_with(page: MessagesPage, messages: Sequence[Message]) -> MessagesPage:
    return attrs.evolve(page, messages=tuple(messages))
