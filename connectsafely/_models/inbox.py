"""Response models of the inbox endpoints: conversation lists, exists, sync and actions.

Same rules as `_models`: frozen, slotted attrs classes decoded by the one converter in
`_serde`; every field the API might omit defaults to ``None`` (or an empty tuple).
"""

from __future__ import annotations

from datetime import datetime

import attrs

from .messages import Participant

__all__ = [
    "AccountSyncStatus",
    "Conversation",
    "ConversationActionResult",
    "ConversationExists",
    "ConversationsPage",
    "DeleteMessageResult",
    "InboxAccount",
    "LatestMessage",
    "ReactionResult",
    "RefreshResult",
    "SyncResult",
    "SyncState",
    "SyncStatus",
]

SALES_NAVIGATOR_SOURCE = "sales_navigator"
_SALES_NAV_URN_PREFIX = "urn:li:salesNav_thread:"


@attrs.frozen
class LatestMessage:
    """The newest message of a conversation, as a conversation list shows it.

    Attributes:
        text: The message text.
        sent_at: When it was sent, as an aware UTC datetime.
        sender_name: Display name of the sender.
        has_attachment: True when the message carries attachments.
    """

    text: str | None = None
    sent_at: datetime | None = None
    sender_name: str | None = None
    has_attachment: bool | None = None


@attrs.frozen
class Conversation:
    """One row of `client.conversations.list`: a thread in the inbox or Sales Navigator.

    Attributes:
        conversation_urn: The thread's URN; pass it to ``messages()``, ``send()`` and the
            thread actions as it is (Sales Navigator rows included).
        conversation_id: LinkedIn's bare thread id (``2-...``).
        last_activity_at: Time of the latest activity, as an aware UTC datetime.
        unread_count: Number of unread messages.
        participants: The other people in the thread (with ``profile_url`` and
            ``distance`` filled in).
        latest_message: A preview of the newest message, if any.
        source: ``"sales_navigator"`` for Sales Navigator threads; the API does not
            document a value for ordinary inbox threads, so test `is_sales_navigator`.
        sales_nav_thread_id: The Sales Navigator thread id (Sales Navigator only).
    """

    conversation_urn: str | None = None
    conversation_id: str | None = None
    last_activity_at: datetime | None = None
    unread_count: int | None = None
    participants: tuple[Participant, ...] = ()
    latest_message: LatestMessage | None = None
    source: str | None = None
    sales_nav_thread_id: str | None = None

    @property
    def is_sales_navigator(self) -> bool:
        """True for a Sales Navigator thread (by ``source``, thread id or URN)."""
        return (
            self.source == SALES_NAVIGATOR_SOURCE
            or self.sales_nav_thread_id is not None
            or (self.conversation_urn or "").startswith(_SALES_NAV_URN_PREFIX)
        )


@attrs.frozen
class InboxAccount:
    """A LinkedIn account whose conversations a list page covers.

    Attributes:
        id: The account id (what ``account_id=`` takes).
        name: The account owner's display name.
    """

    id: str | None = None
    name: str | None = None


@attrs.frozen
class ConversationsPage:
    """One page of `client.conversations.list`.

    Attributes:
        conversations: The conversations on this page, most recent activity first.
        accounts: The accounts the page covers.
        next_cursor: Opaque cursor of the next page (values starting ``linkedin:`` mean
            the server is paging LinkedIn itself rather than its own store).
        has_more: True when more conversations remain.
        from_cache: True when the server answered from its own store.
    """

    conversations: tuple[Conversation, ...] = ()
    accounts: tuple[InboxAccount, ...] = ()
    next_cursor: str | None = None
    has_more: bool | None = None
    from_cache: bool | None = None


@attrs.frozen
class ConversationExists:
    """The answer of `client.conversations.exists`.

    Attributes:
        has_conversation: True when the account already has a thread with the person,
            so a send is a reply and does not use the daily new-conversation quota.
            Required: an answer without ``hasConversation`` says nothing either way, so
            it fails as `APIResponseValidationError` instead of reading as "no thread".
        conversation_urn: That thread's URN, else ``None``.
        profile_urn: The person's profile URN.
        account_id: The account that was checked.
    """

    has_conversation: bool
    conversation_urn: str | None = None
    profile_urn: str | None = None
    account_id: str | None = None


@attrs.frozen
class SyncResult:
    """The outcome of `client.conversations.sync` (it answers once the sync finished).

    Attributes:
        account_id: The account that was synced.
        conversations_processed: Conversations looked at.
        messages_processed: Messages stored or updated.
        duration_ms: How long the sync took, in milliseconds.
        duration_seconds: The same as the server formats it (a string, e.g. ``"1.42"``).
        error: Set when part of the sync failed; what did sync is kept.
    """

    account_id: str | None = None
    conversations_processed: int | None = None
    messages_processed: int | None = None
    duration_ms: int | None = None
    duration_seconds: str | None = None
    error: str | None = None


@attrs.frozen
class SyncState:
    """Where the server's copy of one account's inbox stands.

    Attributes:
        last_sync_at: When the last sync ended, as an aware UTC datetime.
        sync_in_progress: True while a sync runs.
        total_conversations: Conversations stored for the account.
        total_messages: Messages stored for the account.
        consecutive_failures: Failed syncs in a row.
        last_error: The last sync error, if any.
        initial_sync_completed: True once the first full sync finished.
    """

    last_sync_at: datetime | None = None
    sync_in_progress: bool | None = None
    total_conversations: int | None = None
    total_messages: int | None = None
    consecutive_failures: int | None = None
    last_error: str | None = None
    initial_sync_completed: bool | None = None


@attrs.frozen
class AccountSyncStatus:
    """One account in `SyncStatus`.

    Attributes:
        account_id: The account id.
        account_name: The owner's display name.
        account_picture: URL of the owner's picture.
        sync_state: The account's `SyncState`.
    """

    account_id: str | None = None
    account_name: str | None = None
    account_picture: str | None = None
    sync_state: SyncState | None = None


@attrs.frozen
class SyncStatus:
    """The answer of `client.conversations.sync_status`.

    Attributes:
        accounts: One entry per account (only the asked-for one when ``account_id``
            was given).
    """

    accounts: tuple[AccountSyncStatus, ...] = ()


@attrs.frozen
class RefreshResult:
    """The answer of `client.conversations.refresh` (the refresh runs in the background).

    Attributes:
        message: The server's status text.
        conversation_urn: The conversation being refreshed.
        account_id: The account it belongs to.
    """

    message: str | None = None
    conversation_urn: str | None = None
    account_id: str | None = None


@attrs.frozen
class ConversationActionResult:
    """The answer of ``star``, ``unstar`` and ``mark_unread``.

    Attributes:
        conversation_urn: The conversation the action applied to.
    """

    conversation_urn: str | None = None


@attrs.frozen
class DeleteMessageResult:
    """The answer of `client.conversations.delete_message`.

    Attributes:
        message_urn: The message that was recalled.
    """

    message_urn: str | None = None


@attrs.frozen
class ReactionResult:
    """The answer of `client.conversations.react`.

    Attributes:
        message_urn: The message reacted to.
        emoji: The emoji.
        react: True when the reaction was added, False when removed.
    """

    message_urn: str | None = None
    emoji: str | None = None
    react: bool | None = None
