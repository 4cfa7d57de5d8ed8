"""``client.conversations``, sending: `send` and `send_many`.

A send's checks and body (`_sending.message_body`), its scope, ledger and read-back
(`_sending.deliver`) live outside; here each method only wires them to the pipeline. The
read-back check and the duplicate check read the conversation, through `_reader` (the
composed `Conversations` is also a `_Reading`).
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Coroutine, Iterable, Mapping
from datetime import datetime
from typing import Any

from .._bulk import BulkSend
from .._guard import reply_guard
from .._models.bulk import ProgressCallback, SendRequest
from .._models.messages import Attachment, Message, MessagesPage, SendResult
from .._pagination import AsyncPager
from .._retry import Recover
from .._sending import deliver, message_body, read_back_verifier
from .._types import MessagingChannel
from ._base import Resource
from ._conversations_reading import _BASE, _Reading

__all__: list[str] = []


class _Sending(Resource):
    """The sending methods of `Conversations`."""

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
        unless_replied_since: datetime | None = None,
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
            account_id: The LinkedIn account to send from.
            idempotency_key: At most one message per key, across retries, processes
                and machines sharing the client's store (``docs/scaling.md``). Without
                one, each call gets its own ``Idempotency-Key``, reused by its retries.
            unless_replied_since: The stop-on-reply guard for follow-ups (an aware
                `datetime`, e.g. when the previous step went out): just before sending,
                after the key's claim, read the conversation's messages newer than it,
                and if anyone but the account owner wrote one, send nothing and raise
                `ProspectRepliedError` (the key is released). Needs
                ``conversation_urn`` or ``recipient_profile_id``; a profile without a
                thread has not replied. Not part of the key's request: a later run may
                move it. Costs one read (two by profile slug). See ``docs/network.md``.

        Returns:
            The `SendResult`; ``thread_id`` is set only for Sales Navigator sends;
            ``replayed`` when the ledger answered for an earlier send of the key.

        Raises:
            ValueError: Blank message, no recipient, unknown channel, an attachment that
                is not an upload, or a key already used for a different message.
            BadRequestError: E.g. Sales Navigator forced on an account without it.
            RateLimitError: A limit of the key or account; `QuotaExceededError` when the
                daily new-conversation quota is used up.
            OperationFailedError: The API answered 2xx with ``"success": false``.
            SendInProgressError: Another caller is sending the same key right now.
            SendInDoubtError: With a key, an attempt whose answer was lost that no read
                of the conversation can settle; nothing is sent again.
            ProspectRepliedError: ``unless_replied_since`` found a reply; nothing sent.
            TypeError: ``unless_replied_since`` not a `datetime` (``ValueError`` when
                naive, or with only ``recipient_profile_urn``).

        If the guard's read fails, its error is raised (noted as the guard's) and
        nothing is sent.

        Without a key, a retry after a failure that may have reached LinkedIn can
        duplicate the message; ``client.with_options(max_retries=0)`` opts out.
        """
        body = message_body(
            message,
            recipient_profile_id=recipient_profile_id,
            recipient_profile_urn=recipient_profile_urn,
            conversation_urn=conversation_urn,
            subject=subject,
            attachments=attachments,
            messaging_channel=messaging_channel,
            account_id=account_id,
            default_account=self._account,
        )
        return await self._deliver(body, idempotency_key, unless_replied_since=unless_replied_since)

    def _deliver(
        self,
        body: dict[str, Any],
        idempotency_key: str | None,
        recover: Recover[SendResult] | None = None,
        *,
        unless_replied_since: object = None,
    ) -> Coroutine[Any, Any, SendResult]:
        """One checked send body through the pipeline (the ledger, given a key; the
        stop-on-reply guard, given ``unless_replied_since``): `deliver`'s send, to
        await (a plain function, one coroutine fewer per send)."""
        reader = self._reader()
        guard = (
            None
            if unless_replied_since is None
            else reply_guard(
                body,
                unless_replied_since,
                exists=reader.exists,
                messages=reader.messages,
                idempotency_key=idempotency_key,
            )
        )
        return deliver(
            self._core,
            f"{_BASE}/send",
            body,
            SendResult,
            thread_field="conversationUrn",
            idempotency_key=idempotency_key,
            verify=(
                None
                if idempotency_key is None
                else read_back_verifier(body, reader.exists, reader.messages)
            ),
            recover=recover,
            guard=guard,
        )

    async def _send_item(
        self, item: SendRequest, recover: Recover[SendResult] | None
    ) -> SendResult:
        """One `send_many` item; ``recover`` is its duplicate check (an item with its own
        idempotency key goes through the ledger, which checks itself)."""
        kwargs = item.send_kwargs()
        key = kwargs.pop("idempotency_key")
        since = kwargs.pop("unless_replied_since")
        body = message_body(**kwargs, default_account=self._account)
        return await self._deliver(body, key, recover, unless_replied_since=since)

    def _recent_messages(self, item: SendRequest, since: int) -> AsyncPager[Message, MessagesPage]:
        """The newest messages of ``item``'s conversation (for the duplicate check)."""
        assert item.conversation_urn is not None
        return self._reader().messages(
            item.conversation_urn, account_id=item.account_id, since=since, page_size=50
        )

    def _reader(self) -> _Reading:
        """This namespace's reading part (`Conversations` composes both)."""
        assert isinstance(self, _Reading)
        return self

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
        request obeys the client's limits and the server's 429s. See ``docs/bulk.md``.

        Examples:
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
        return BulkSend(
            items,
            send=self._send_item,
            read_back=self._recent_messages if dedupe else None,
            concurrency=concurrency,
            on_progress=on_progress,
        )
