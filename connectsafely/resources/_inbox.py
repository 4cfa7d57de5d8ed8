"""The inbox half of ``client.conversations``: list, exists, sync and thread actions.

`Conversations` inherits these methods, so they are called as
``client.conversations.list(...)`` and so on; this module only keeps
``conversations.py`` to one job per file.

Idempotency: the pipeline puts an ``Idempotency-Key`` on every POST (``sync``,
``refresh``, ``react``, ``download_media``), the same on each retry of a call. PATCH
(``star``, ``unstar``, ``mark_unread``) and DELETE (``delete_message``) carry none:
they set a state rather than create something, so repeating one is harmless. The one
visible effect: a retried ``delete_message`` whose first attempt went through but whose
answer was lost gets a `NotFoundError`, because the message is already gone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING
from urllib.parse import quote

import attrs

from .. import _validate as check
from .._config import check_account_id
from .._urns import path_segment
from ._base import Resource

if TYPE_CHECKING:
    # The inbox models and pagination are imported by the methods that use them, so
    # `import connectsafely` does not load them (see `connectsafely/__init__.py`).
    from .._models_conversations import (
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
    from .._pagination import AsyncPager, Fetched

__all__ = ["InboxMethods"]

_BASE = "/linkedin/conversations"
_MAX_EMOJI_LENGTH = 32


class InboxMethods(Resource):
    """Listing conversations, the cheap exists check, sync, and per-thread actions."""

    __slots__ = ()

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
        Navigator threads are merged in (`Conversation.is_sales_navigator`). Like
        ``messages()``, this is a plain method: it checks its arguments at once and
        returns an `AsyncPager` without sending anything.

        Example:
            >>> async for thread in client.conversations.list(unread_only=True):  # doctest: +SKIP
            ...     print(thread.unread_count, thread.conversation_urn)

        Args:
            account_id: The account whose inbox to list; defaults to the client's.
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
                non-positive ``page_size``. Raised here, before any request.
            TypeError: An argument of the wrong type (e.g. ``account_ids="abc"``).

        While iterating: `NotFoundError` for an unknown account, `PaginationError` when
        the server repeats a cursor; a conversation repeated at a page boundary is
        yielded once.
        """
        from .._models_conversations import ConversationsPage
        from .._pagination import AsyncPager, Fetched, bool_param, page_size_param

        params: dict[str, str] = {}
        if account_ids is not None:
            if account_id is not None:
                raise ValueError("Give account_id or account_ids, not both.")
            params["linkedinAccountIds"] = _account_ids(account_ids)
        else:
            account = self._account(account_id)
            if account is not None:
                params["accountId"] = account
        for name, value in (
            ("count", page_size_param(page_size)),
            ("labelId", check.optional_str(label_id, "label_id")),
            ("unreadOnly", bool_param(unread_only, "unread_only")),
            ("labeledOnly", bool_param(labeled_only, "labeled_only")),
        ):
            if value is not None:
                params[name] = value
        core = self._core

        async def fetch(cursor: str | None) -> Fetched[Conversation, ConversationsPage]:
            query = params if cursor is None else {**params, "nextCursor": cursor}
            page = await core.request("GET", _BASE, params=query, cast_to=ConversationsPage)
            # A missing `hasMore` is not "no more": the cursor decides then.
            return Fetched(page.conversations, page.next_cursor, page.has_more is not False, page)

        return AsyncPager(fetch, key=_conversation_key, rebuild=_page_with, label="conversations")

    async def exists(self, profile_id: str, *, account_id: str | None = None) -> ConversationExists:
        """Whether the account already has a conversation with someone.

        ``GET /linkedin/conversations/exists/{profileId}``: one LinkedIn lookup, no
        history. Use it before a cold send: only sends that start a new conversation
        count against the daily quota of 150.

        Args:
            profile_id: The person's vanity slug, e.g. ``"john-doe-123"``.
            account_id: The account to check; defaults to the client's.

        Returns:
            `ConversationExists`; ``conversation_urn`` is the thread to reply into.

        Raises:
            ValueError: A blank ``profile_id`` or one with control characters (before
                any request).
        """
        segment = _profile_segment(profile_id)
        from .._models_conversations import ConversationExists

        return await self._core.request(
            "GET",
            f"{_BASE}/exists/{segment}",
            params=self._account_params(account_id),
            cast_to=ConversationExists,
        )

    async def sync(self, *, force: bool = False, account_id: str | None = None) -> SyncResult:
        """Sync the account's LinkedIn inbox into ConnectSafely's store, and wait for it.

        ``POST /linkedin/conversations/sync``. The call returns when the sync finished;
        a partial failure is reported in `SyncResult.error`, not raised.

        Args:
            force: Sync even if the server synced recently.
            account_id: The account to sync; defaults to the client's.

        Raises:
            TypeError: ``force`` is not a bool (before any request).
        """
        if not isinstance(force, bool):
            raise TypeError(f"force must be True or False, not {type(force).__name__}.")
        body: dict[str, object] = {"force": force}
        account = self._account(account_id)
        if account is not None:
            body["accountId"] = account
        from .._models_conversations import SyncResult

        return await self._core.request("POST", f"{_BASE}/sync", json_body=body, cast_to=SyncResult)

    async def sync_status(self, *, account_id: str | None = None) -> SyncStatus:
        """Where the server's copy of each account's inbox stands.

        ``GET /linkedin/conversations/sync/status``. Without an account id (and no
        client default) every connected account is reported.

        Args:
            account_id: Report only this account; defaults to the client's.
        """
        from .._models_conversations import SyncStatus

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

        Args:
            conversation_urn: The conversation, as the API gave it.
            account_id: The account it belongs to; defaults to the client's.

        Raises:
            ValueError: ``conversation_urn`` is not a ``urn:li:`` URN (before any
                request).
        """
        body: dict[str, object] = {
            "conversationUrn": check.urn(conversation_urn, "conversation_urn")
        }
        account = self._account(account_id)
        if account is not None:
            body["accountId"] = account
        from .._models_conversations import RefreshResult

        return await self._core.request(
            "POST", f"{_BASE}/refresh", json_body=body, cast_to=RefreshResult
        )

    async def mark_unread(self, conversation_urn: str) -> ConversationActionResult:
        """Mark a conversation unread (``PATCH .../{conversationUrn}/mark-unread``).

        The server finds the account from the conversation, so none is sent.

        Raises:
            ValueError: ``conversation_urn`` is not a ``urn:li:`` URN (before any
                request).
        """
        return await self._thread_action(conversation_urn, "mark-unread")

    async def star(self, conversation_urn: str) -> ConversationActionResult:
        """Star a conversation (``PATCH .../{conversationUrn}/star``).

        Raises:
            ValueError: ``conversation_urn`` is not a ``urn:li:`` URN (before any
                request).
        """
        return await self._thread_action(conversation_urn, "star")

    async def unstar(self, conversation_urn: str) -> ConversationActionResult:
        """Remove the star from a conversation (``PATCH .../{conversationUrn}/unstar``).

        Raises:
            ValueError: ``conversation_urn`` is not a ``urn:li:`` URN (before any
                request).
        """
        return await self._thread_action(conversation_urn, "unstar")

    async def delete_message(
        self, conversation_urn: str, message_urn: str, *, account_id: str | None = None
    ) -> DeleteMessageResult:
        """Recall a message the account sent.

        ``DELETE /linkedin/conversations/{conversationUrn}/messages/{messageUrn}``.
        Both URNs are percent-encoded in full, like ``messages()`` does.

        Args:
            conversation_urn: The conversation holding the message.
            message_urn: The message, e.g. `Message.message_urn`.
            account_id: The account that sent it; defaults to the client's.

        Raises:
            ValueError: A URN that is not ``urn:li:...`` (before any request).
            BadRequestError: The message was not sent by this account.
            NotFoundError: No such conversation or message (also when a retry follows
                a first attempt that did delete it).
        """
        path = _message_path(conversation_urn, message_urn)
        from .._models_conversations import DeleteMessageResult

        return await self._core.request(
            "DELETE", path, params=self._account_params(account_id), cast_to=DeleteMessageResult
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
            emoji: The emoji, e.g. ``"👍"``.
            react: True adds the reaction, False removes it.
            account_id: The account reacting; defaults to the client's.

        Raises:
            ValueError: A URN that is not ``urn:li:...``, or a blank or overlong emoji
                (before any request).
            TypeError: ``react`` is not a bool.
        """
        path = _message_path(conversation_urn, message_urn) + "/react"
        text = check.required_text(emoji, "emoji")
        if len(text) > _MAX_EMOJI_LENGTH or any(not ch.isprintable() for ch in text):
            raise ValueError(
                f"emoji must be one emoji (printable, at most {_MAX_EMOJI_LENGTH} characters)."
            )
        if not isinstance(react, bool):
            raise TypeError(f"react must be True or False, not {type(react).__name__}.")
        from .._models_conversations import ReactionResult

        return await self._core.request(
            "POST",
            path,
            params=self._account_params(account_id),
            json_body={"emoji": text, "react": react},
            cast_to=ReactionResult,
        )

    # -- helpers ------------------------------------------------------------------------

    def _account_params(self, account_id: str | None) -> dict[str, str]:
        account = self._account(account_id)
        return {} if account is None else {"accountId": account}

    async def _thread_action(self, conversation_urn: str, action: str) -> ConversationActionResult:
        segment = path_segment(conversation_urn, "conversation_urn")
        from .._models_conversations import ConversationActionResult

        return await self._core.request(
            "PATCH", f"{_BASE}/{segment}/{action}", cast_to=ConversationActionResult
        )


def _account_ids(value: object) -> str:
    """``account_ids`` for the wire: the ids joined by commas, each checked."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise TypeError("account_ids must be a list of account id strings.")
    ids: dict[str, None] = {}  # ordered and without repeats
    for index, item in enumerate(value):
        account = check_account_id(item, f"account_ids[{index}]")
        if "," in account:
            raise ValueError(f"account_ids[{index}] must not contain a comma.")
        ids[account] = None
    if not ids:
        raise ValueError("account_ids must name at least one account.")
    return ",".join(ids)


def _profile_segment(value: object) -> str:
    """A profile id (vanity slug) encoded as exactly one path segment."""
    text = check.required_text(value, "profile_id").strip()
    if any(not ch.isprintable() for ch in text):
        raise ValueError("profile_id contains control characters.")
    if text in (".", ".."):
        raise ValueError(f"profile_id {text!r} is not a profile id.")
    return quote(text, safe="")


def _message_path(conversation_urn: object, message_urn: object) -> str:
    conversation = path_segment(conversation_urn, "conversation_urn")
    message = path_segment(message_urn, "message_urn")
    return f"{_BASE}/{conversation}/messages/{message}"


def _conversation_key(conversation: Conversation) -> str | None:
    return conversation.conversation_urn


def _page_with(page: ConversationsPage, conversations: Sequence[Conversation]) -> ConversationsPage:
    return attrs.evolve(page, conversations=tuple(conversations))
