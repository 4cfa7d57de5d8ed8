"""``client.conversations``, reading: messages, the conversation list, the server's store.

`messages`, `list` and `exists` read LinkedIn (through ConnectSafely); `sync`,
`sync_status` and `refresh` manage the server's copy of the inbox. ``_BASE``, the
conversations path every part of `Conversations` builds on, is defined here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

import attrs

from .. import _validate as check
from .._models.inbox import (
    Conversation,
    ConversationExists,
    ConversationsPage,
    RefreshResult,
    SyncResult,
    SyncStatus,
)
from .._models.messages import Message, MessagesPage
from .._pagination import AsyncPager, Fetched
from ._base import Resource

__all__: list[str] = []

_BASE = "/linkedin/conversations"


class _Reading(Resource):
    """The reading methods of `Conversations`."""

    __slots__ = ()

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
            unread_only: Only conversations with unread messages (sent as
                ``unreadOnly``: the official list page documents it, although the
                generated endpoint reference omits it).
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


def _present(**params: str | None) -> dict[str, str]:
    """The query parameters that have a value."""
    return {name: value for name, value in params.items() if value is not None}


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
