"""``client.conversations``: send messages, read and manage conversations, download media.

One namespace, one class. Each method maps its arguments to the wire (checked by
`_validate`), makes one call through the client's pipeline (`_http`) and returns a model
(`_models`); what a send needs beyond that (limits scope, ledger, read-back) is in
`_sending`, the batch runner in `_bulk`.

Idempotency: the pipeline puts an ``Idempotency-Key`` on every POST, the same on each
retry of a call. PATCH (``star``, ``unstar``, ``mark_unread``) and DELETE
(``delete_message``) carry none: they set a state, so repeating one is harmless. The one
visible effect: a retried ``delete_message`` whose first attempt went through but whose
answer was lost gets a `NotFoundError`, because the message is already gone.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

import attrs

from .. import _validate as check
from .._bulk import BulkSend
from .._http import ResponseStream
from .._limits import READ, CallScope
from .._media import MediaDownload, SavedMedia, check_media_url, check_save_path
from .._models.bulk import ProgressCallback, SendRequest
from .._models.inbox import (
    Conversation,
    ConversationActionResult,
    ConversationExists,
    ConversationsPage,
    DeleteMessageResult,
    ReactionResult,
    RefreshResult,
    SyncResult,
    SyncStatus,
)
from .._models.messages import Attachment, Message, MessagesPage, SendResult
from .._models.read_state import (
    EmailSupport,
    MarkAllReadResult,
    MarkSeenResult,
    TypingIndicatorResult,
)
from .._pagination import AsyncPager, Fetched
from .._retry import Recover
from .._sending import deliver, message_body, read_back_verifier
from .._types import MessagingChannel
from ._base import Resource

__all__ = ["Conversations"]

T = TypeVar("T")

_BASE = "/linkedin/conversations"
_MESSAGING = "/linkedin/messaging"


class Conversations(Resource):
    """Send LinkedIn messages and read conversations (``client.conversations``).

    Every method checks its arguments first: a bad one raises `ValueError` or
    `TypeError` naming it, and nothing is sent. URNs are taken exactly as the API gave
    them (``urn:li:...``) and percent-encoded for you; ``account_id`` defaults to the
    client's everywhere. Server faults raise the typed errors of `connectsafely` after
    the client's retries.
    """

    __slots__ = ()

    # -- sending ------------------------------------------------------------------------

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
            account_id: The LinkedIn account to send from.
            idempotency_key: At most one message per key, across retries, processes
                and machines sharing the client's store (``docs/scaling.md``). Without
                one, each call gets its own ``Idempotency-Key``, reused by its retries.

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
        return await self._deliver(body, idempotency_key)

    async def _deliver(
        self,
        body: dict[str, Any],
        idempotency_key: str | None,
        recover: Recover[SendResult] | None = None,
    ) -> SendResult:
        """One checked send body through the pipeline (the ledger, given a key)."""
        return await deliver(
            self._core,
            f"{_BASE}/send",
            body,
            SendResult,
            thread_field="conversationUrn",
            idempotency_key=idempotency_key,
            verify=(
                None
                if idempotency_key is None
                else read_back_verifier(body, self.exists, self.messages)
            ),
            recover=recover,
        )

    async def _send_item(
        self, item: SendRequest, recover: Recover[SendResult] | None
    ) -> SendResult:
        """One `send_many` item; ``recover`` is its duplicate check (an item with its own
        idempotency key goes through the ledger, which checks itself)."""
        kwargs = item.send_kwargs()
        key = kwargs.pop("idempotency_key")
        body = message_body(**kwargs, default_account=self._account)
        return await self._deliver(body, key, recover)

    def _recent_messages(self, item: SendRequest, since: int) -> AsyncPager[Message, MessagesPage]:
        """The newest messages of ``item``'s conversation (for the duplicate check)."""
        assert item.conversation_urn is not None
        return self.messages(
            item.conversation_urn, account_id=item.account_id, since=since, page_size=50
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

    # -- reading ------------------------------------------------------------------------

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

        ``GET /linkedin/conversations/{conversationUrn}/messages``. A plain method: it
        checks its arguments at once and returns an `AsyncPager`; pages are requested
        as you iterate.

        Examples:
            >>> async for message in client.conversations.messages(urn):  # doctest: +SKIP
            ...     print(message.sent_at, message.sender_name, message.text)

        Args:
            conversation_urn: A standard (``urn:li:msg_conversation:(...)``,
                ``urn:li:fs_conversation:...``) or Sales Navigator
                (``urn:li:salesNav_thread:...``) conversation URN.
            account_id: The LinkedIn account the conversation belongs to.
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
            ValueError: Not a ``urn:li:`` URN; ``since`` naive, before 1970 or in epoch
                seconds; ``page_size`` not positive.

        While iterating: `NotFoundError` for an unknown conversation, `PaginationError`
        when the server repeats a cursor. A failed page fetch leaves the pager in place:
        iterating again retries the same page.
        """
        segment = check.path_segment(conversation_urn, "conversation_urn")
        params = _present(
            accountId=self._account(account_id),
            count=check.page_size_param(page_size),
            since=check.epoch_ms_param(since, "since"),
            sync=check.bool_param(sync, "sync"),
        )
        start = None if cursor is None else check.required_text(cursor, "cursor")
        path = f"{_BASE}/{segment}/messages"
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
            rebuild=_messages_page_with,
            label=f"messages in {conversation_urn}",
        )

    def list(
        self,
        *,
        account_id: str | None = None,
        account_ids: Iterable[str] | None = None,
        page_size: int | None = None,
        label_id: str | None = None,
        unread_only: bool | None = None,
        labeled_only: bool | None = None,
    ) -> AsyncPager[Conversation, ConversationsPage]:
        """List conversations, most recent activity first, fetched page by page.

        ``GET /linkedin/conversations``. The server answers from its own store first and
        pages LinkedIn itself further back (cursors starting ``linkedin:``); Sales
        Navigator threads are merged in (`Conversation.is_sales_navigator`). A plain
        method, like ``messages()``: nothing is sent until you iterate.

        Examples:
            >>> async for thread in client.conversations.list(unread_only=True):  # doctest: +SKIP
            ...     print(thread.unread_count, thread.conversation_urn)

        Args:
            account_id: The account whose inbox to list.
            account_ids: Several accounts at once (sent as ``linkedinAccountIds``);
                exclusive with ``account_id``.
            page_size: Conversations per request (``count``; the server's default is 20).
            label_id: Only conversations with this label.
            unread_only: Only conversations with unread messages.
            labeled_only: Only conversations that carry any label.

        Returns:
            An `AsyncPager` of `Conversation`; ``.pages()`` yields `ConversationsPage`.

        Raises:
            ValueError: Both ``account_id`` and ``account_ids``, an empty
                ``account_ids``, an id containing a comma, a blank ``label_id`` or a
                non-positive ``page_size``.
            TypeError: An argument of the wrong type (e.g. ``account_ids="abc"``).

        While iterating: `NotFoundError` for an unknown account, `PaginationError` when
        the server repeats a cursor; a conversation repeated at a page boundary is
        yielded once.
        """
        if account_ids is not None:
            if account_id is not None:
                raise ValueError("Give account_id or account_ids, not both.")
            params = {"linkedinAccountIds": check.account_ids(account_ids)}
        else:
            params = _present(accountId=self._account(account_id))
        params.update(
            _present(
                count=check.page_size_param(page_size),
                labelId=check.optional_str(label_id, "label_id"),
                unreadOnly=check.bool_param(unread_only, "unread_only"),
                labeledOnly=check.bool_param(labeled_only, "labeled_only"),
            )
        )
        core = self._core

        async def fetch(cursor: str | None) -> Fetched[Conversation, ConversationsPage]:
            query = params if cursor is None else {**params, "nextCursor": cursor}
            page = await core.request("GET", _BASE, params=query, cast_to=ConversationsPage)
            # A missing `hasMore` is not "no more": the cursor decides then.
            return Fetched(page.conversations, page.next_cursor, page.has_more is not False, page)

        return AsyncPager(
            fetch, key=_conversation_key, rebuild=_conversations_page_with, label="conversations"
        )

    async def exists(self, profile_id: str, *, account_id: str | None = None) -> ConversationExists:
        """Whether the account already has a conversation with someone.

        ``GET /linkedin/conversations/exists/{profileId}``: one LinkedIn lookup, no
        history. Use it before a cold send: only sends that start a new conversation
        count against the daily quota of 150.

        Args:
            profile_id: The person's vanity slug, e.g. ``"john-doe-123"``.
            account_id: The account to check.

        Returns:
            `ConversationExists`; ``conversation_urn`` is the thread to reply into.
        """
        return await self._core.request(
            "GET",
            f"{_BASE}/exists/{check.profile_segment(profile_id)}",
            params=self._account_params(account_id),
            cast_to=ConversationExists,
        )

    # -- the server's inbox store -------------------------------------------------------

    async def sync(self, *, force: bool = False, account_id: str | None = None) -> SyncResult:
        """Sync the account's LinkedIn inbox into ConnectSafely's store, and wait for it.

        ``POST /linkedin/conversations/sync``. The call returns when the sync finished;
        a partial failure is reported in `SyncResult.error`, not raised.

        Args:
            force: Sync even if the server synced recently.
            account_id: The account to sync.
        """
        body = self._body_with_account(account_id, force=check.flag(force, "force"))
        return await self._core.request("POST", f"{_BASE}/sync", json_body=body, cast_to=SyncResult)

    async def sync_status(self, *, account_id: str | None = None) -> SyncStatus:
        """Where the server's copy of each account's inbox stands.

        ``GET /linkedin/conversations/sync/status``. Without an account id (and no
        client default) every connected account is reported.
        """
        return await self._core.request(
            "GET",
            f"{_BASE}/sync/status",
            params=self._account_params(account_id),
            cast_to=SyncStatus,
        )

    async def refresh(
        self, conversation_urn: str, *, account_id: str | None = None
    ) -> RefreshResult:
        """Ask the server to re-fetch one conversation from LinkedIn in the background.

        ``POST /linkedin/conversations/refresh``. The call returns at once; read the
        conversation with ``messages()`` afterwards (the API pushes the result over a
        WebSocket this SDK does not use).
        """
        urn = check.urn(conversation_urn, "conversation_urn")
        body = self._body_with_account(account_id, conversationUrn=urn)
        return await self._core.request(
            "POST", f"{_BASE}/refresh", json_body=body, cast_to=RefreshResult
        )

    # -- thread actions -----------------------------------------------------------------

    async def mark_unread(self, conversation_urn: str) -> ConversationActionResult:
        """Mark a conversation unread (``PATCH .../{conversationUrn}/mark-unread``).

        The server finds the account from the conversation, so none is sent (the same
        holds for ``star`` and ``unstar``).
        """
        return await self._thread_action(conversation_urn, "mark-unread")

    async def star(self, conversation_urn: str) -> ConversationActionResult:
        """Star a conversation (``PATCH .../{conversationUrn}/star``)."""
        return await self._thread_action(conversation_urn, "star")

    async def unstar(self, conversation_urn: str) -> ConversationActionResult:
        """Remove the star from a conversation (``PATCH .../{conversationUrn}/unstar``)."""
        return await self._thread_action(conversation_urn, "unstar")

    async def delete_message(
        self, conversation_urn: str, message_urn: str, *, account_id: str | None = None
    ) -> DeleteMessageResult:
        """Recall a message the account sent.

        ``DELETE /linkedin/conversations/{conversationUrn}/messages/{messageUrn}``.

        Args:
            conversation_urn: The conversation holding the message.
            message_urn: The message, e.g. `Message.message_urn`.
            account_id: The account that sent it.

        Raises:
            BadRequestError: The message was not sent by this account.
            NotFoundError: No such conversation or message (also when a retry follows
                a first attempt that did delete it).
        """
        path = _message_path(conversation_urn, message_urn)
        params = self._account_params(account_id)
        return await self._core.request(
            "DELETE",
            path,
            params=params,
            cast_to=DeleteMessageResult,
            scope=CallScope(account=params.get("accountId"), kind="DELETE_MESSAGE", write=True),
        )

    async def react(
        self,
        conversation_urn: str,
        message_urn: str,
        emoji: str,
        react: bool = True,
        *,
        account_id: str | None = None,
    ) -> ReactionResult:
        """Add (or, with ``react=False``, remove) an emoji reaction on a message.

        ``POST .../{conversationUrn}/messages/{messageUrn}/react`` with body
        ``{"emoji", "react"}``.

        Args:
            conversation_urn: The conversation holding the message.
            message_urn: The message to react to.
            emoji: The emoji, e.g. ``"👍"`` (a blank or overlong one is refused).
            react: True adds the reaction, False removes it.
            account_id: The account reacting.
        """
        path = _message_path(conversation_urn, message_urn) + "/react"
        text = check.emoji(emoji)
        check.flag(react, "react")
        params = self._account_params(account_id)
        return await self._core.request(
            "POST",
            path,
            params=params,
            json_body={"emoji": text, "react": react},
            cast_to=ReactionResult,
            scope=CallScope(account=params.get("accountId"), kind="REACT", write=True),
        )

    # -- read state and presence ----------------------------------------------------------

    async def mark_seen(
        self, conversation_urn: str, *, account_id: str | None = None
    ) -> MarkSeenResult:
        """Mark a conversation seen (``POST /linkedin/messaging/mark-seen``).

        The other party sees it as a read receipt. The URN travels in the body.

        Examples:
            >>> await client.conversations.mark_seen(urn)  # doctest: +SKIP
        """
        urn = check.urn(conversation_urn, "conversation_urn")
        return await self._messaging("mark-seen", MarkSeenResult, account_id, conversationUrn=urn)

    async def mark_all_read(self, *, account_id: str | None = None) -> MarkAllReadResult:
        """Mark every message of an account read (``POST /linkedin/messaging/mark-all-read``).

        Without an account id (and no client default) the workspace's default account.

        Examples:
            >>> await client.conversations.mark_all_read()  # doctest: +SKIP
        """
        return await self._messaging("mark-all-read", MarkAllReadResult, account_id)

    async def send_typing(
        self, conversation_urn: str, *, account_id: str | None = None
    ) -> TypingIndicatorResult:
        """Show "typing…" in a conversation (``POST /linkedin/messaging/typing-indicator``).

        Only an existing conversation can show it; there is no recipient form.

        Examples:
            >>> await client.conversations.send_typing(urn)  # doctest: +SKIP
        """
        urn = check.urn(conversation_urn, "conversation_urn")
        return await self._messaging(
            "typing-indicator", TypingIndicatorResult, account_id, write=False, conversationUrn=urn
        )

    async def check_email_support(
        self,
        *,
        profile_id: str | None = None,
        profile_urn: str | None = None,
        account_id: str | None = None,
    ) -> EmailSupport:
        """Whether a profile accepts free messages from non-connections (an open profile).

        ``POST /linkedin/messaging/check-email-support``; ``.supports_free_email`` is the
        answer. Give the profile's URN (preferred) or its vanity slug; neither is a
        `ValueError`.

        Examples:
            >>> support = await client.conversations.check_email_support(  # doctest: +SKIP
            ...     profile_id="jane-doe"
            ... )
            >>> support.supports_free_email  # doctest: +SKIP
            True

        Args:
            profile_id: The profile's vanity slug, e.g. ``"john-doe-123"``.
            profile_urn: The profile's URN, ``"urn:li:fsd_profile:ACoAA..."``.
            account_id: The account asking.
        """
        fields: dict[str, Any] = {}
        if profile_id is not None:
            fields["profileId"] = check.required_text(profile_id, "profile_id")
        if profile_urn is not None:
            fields["profileUrn"] = check.urn(profile_urn, "profile_urn")
        if not fields:
            raise ValueError("Give profile_id or profile_urn (the profile to check).")
        return await self._messaging(
            "check-email-support", EmailSupport, account_id, write=False, **fields
        )

    # -- media --------------------------------------------------------------------------

    def download_media(self, url: str, *, account_id: str | None = None) -> MediaDownload:
        """Download a message attachment, streamed: use the result as ``async with``.

        ``POST /linkedin/conversations/download-media`` with ``{"accountId", "url"}``:
        ConnectSafely fetches the file from LinkedIn with the account's session and
        streams it back. Only LinkedIn's documented media locations are accepted,
        ``https://www.linkedin.com/dms/prv/...`` and ``https://media.licdn.com/...``.
        The request is sent when the block is entered (retried like any call until the
        response headers arrive), and the body is read as you consume it.

        Examples:
            >>> async with client.conversations.download_media(  # doctest: +SKIP
            ...     url, account_id=account_id
            ... ) as media:
            ...     async for chunk in media.aiter_bytes():
            ...         sink.write(chunk)

        Args:
            url: The media URL from a message attachment.
            account_id: The account whose LinkedIn session may see the file (the API
                requires one: the client's default, else a `ValueError`).

        Returns:
            A `MediaDownload` (an async context manager yielding itself). Entering it
            raises `NotFoundError` for a file the account cannot see.
        """
        return MediaDownload(self._media_stream(url, account_id), url)

    async def save_media(
        self, url: str, path: str | os.PathLike[str], *, account_id: str | None = None
    ) -> SavedMedia:
        """Download a message attachment straight into a file, chunk by chunk.

        The same request as `download_media`; the file is written to ``<path>.part``
        and renamed to ``path`` once complete (removed if the download fails), so a
        half-written file never appears under the final name.

        Args:
            url: The media URL from a message attachment.
            path: The file to write (overwritten if it exists).
            account_id: The account whose session may see the file.

        Returns:
            `SavedMedia` with the path, content type and number of bytes written.

        Raises:
            FileNotFoundError: The directory of ``path`` does not exist (before any
                request).
            IsADirectoryError: ``path`` is a directory (before any request).
        """
        stream = self._media_stream(url, account_id)
        target = check_save_path(path)
        async with MediaDownload(stream, url) as media:
            return await media._save(target)

    def _media_stream(self, url: str, account_id: str | None) -> ResponseStream:
        checked = check_media_url(url)
        account = self._account(account_id)
        if account is None:
            raise ValueError(
                "download_media needs an account_id (the API requires it): pass "
                "account_id= or create the client with account_id=."
            )
        return self._core.stream(
            "POST", f"{_BASE}/download-media", json_body={"accountId": account, "url": checked}
        )

    # -- helpers ------------------------------------------------------------------------

    async def _messaging(
        self,
        endpoint: str,
        cast_to: type[T],
        account_id: str | None,
        *,
        write: bool = True,
        **fields: Any,
    ) -> T:
        """``POST /linkedin/messaging/{endpoint}``: ``fields`` and the account in the body;
        a ``write`` counts against the account's limits, the others only the key's."""
        body = self._body_with_account(account_id, **fields)
        scope = CallScope(account=body.get("accountId"), kind="CONVERSATION", write=True)
        return await self._core.request(
            "POST",
            f"{_MESSAGING}/{endpoint}",
            json_body=body,
            cast_to=cast_to,
            scope=scope if write else READ,
        )

    async def _thread_action(self, conversation_urn: str, action: str) -> ConversationActionResult:
        segment = check.path_segment(conversation_urn, "conversation_urn")
        return await self._core.request(
            "PATCH",
            f"{_BASE}/{segment}/{action}",
            cast_to=ConversationActionResult,
            scope=_THREAD_ACTION,  # the server finds the account from the conversation
        )


_THREAD_ACTION = CallScope(kind="CONVERSATION", write=True)


def _present(**params: str | None) -> dict[str, str]:
    """The query parameters that have a value."""
    return {name: value for name, value in params.items() if value is not None}


def _message_path(conversation_urn: object, message_urn: object) -> str:
    conversation = check.path_segment(conversation_urn, "conversation_urn")
    message = check.path_segment(message_urn, "message_urn")
    return f"{_BASE}/{conversation}/messages/{message}"


def _message_key(message: Message) -> str | None:
    return message.message_urn


def _messages_page_with(page: MessagesPage, messages: Sequence[Message]) -> MessagesPage:
    return attrs.evolve(page, messages=tuple(messages))


def _conversation_key(conversation: Conversation) -> str | None:
    return conversation.conversation_urn


def _conversations_page_with(
    page: ConversationsPage, conversations: Sequence[Conversation]
) -> ConversationsPage:
    return attrs.evolve(page, conversations=tuple(conversations))
