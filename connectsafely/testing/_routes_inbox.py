"""Fake inbox endpoints: list conversations, exists, sync, refresh and thread actions.

``GET /linkedin/conversations`` pages the way the real endpoint describes itself: rows
come from ConnectSafely's store first (opaque cursors) and, past what the store holds
(`InboxRoutes.inbox_cache_size` rows), from LinkedIn itself, with cursors prefixed
``linkedin:``. Sales Navigator threads are merged in with ``source: "sales_navigator"``
and a ``salesNavThreadId``. The deprecated read endpoints answer 307 with a Location.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any, Literal
from urllib.parse import quote

import attrs

from ._app import FakeApp, profile_urn_for, route
from ._routes_send import _json_object
from ._state import FakeAccount, FakeConversation, FakeHTTPError, FakeMessage
from ._wire import FakeResponse, RecordedRequest

__all__ = ["FakeSyncState", "InboxRoutes"]

DEFAULT_LIST_PAGE_SIZE = 20
LINKEDIN_CURSOR_PREFIX = "linkedin:"


@attrs.define
class FakeSyncState:
    """The fake's record of one account's inbox sync (what sync status reports).

    Attributes:
        last_sync_at: Epoch ms of the last completed sync, or ``None``.
        sync_in_progress: Reported as is (set it to simulate a running sync).
        consecutive_failures: Failed syncs in a row.
        last_error: The last sync error.
        fail_next_with: When set, the next sync reports this partial-failure error.
    """

    last_sync_at: int | None = None
    sync_in_progress: bool = False
    consecutive_failures: int = 0
    last_error: str | None = None
    fail_next_with: str | None = None


class InboxRoutes(FakeApp):
    """The inbox endpoints, faithful to the documented behaviour.

    - List: ``accountId`` or ``linkedinAccountIds`` (comma-separated; unknown -> 404),
      ``count`` (default 20), ``nextCursor``, ``labelId``, ``unreadOnly``,
      ``labeledOnly`` (``true``/``false``, else 400). Rows are ordered by last activity,
      newest first. Seed labels and unread counts on the `FakeConversation`
      (``labels``, ``unread_count``). Follow-up pages honour the paging faults of
      ``paging_fault_next`` like the messages route does.
    - Exists, sync (with a cooldown that ``force`` skips), sync status, refresh.
    - ``star``/``unstar``/``mark-unread`` (PATCH) change the conversation; delete
      removes a message the account sent (400 for someone else's); react adds or
      removes an emoji in `FakeMessage.reactions`.
    """

    inbox_cache_size: int = 50
    """Rows served from "ConnectSafely's store"; later pages page LinkedIn (``linkedin:``)."""

    inbox_timestamps: Literal["iso", "ms"] = "iso"
    """How ``lastActivityAt`` is written: ISO 8601 text or epoch milliseconds."""

    sync_cooldown_ms: int = 5 * 60_000
    """A sync within this long of the previous one does nothing unless forced."""

    # -- state --------------------------------------------------------------------------

    @property
    def sync_states(self) -> dict[str, FakeSyncState]:
        """Per-account sync records, keyed by account id (created on first use)."""
        states: dict[str, FakeSyncState] = vars(self).setdefault("_sync_states", {})
        return states

    def sync_state(self, account_id: str | None = None) -> FakeSyncState:
        """The sync record of an account (the default account when omitted)."""
        account = self.account_for(account_id)
        return self.sync_states.setdefault(account.account_id, FakeSyncState())

    @property
    def refreshes(self) -> list[str]:
        """Conversation URNs a refresh was requested for, in order."""
        refreshed: list[str] = vars(self).setdefault("_refreshes", [])
        return refreshed

    def _cursor_salt(self) -> str:
        salt: str = vars(self).setdefault("_inbox_cursor_salt", secrets.token_hex(4))
        return salt

    def _pending_paging_fault(self) -> str | None:
        # The same queue the messages route reads (`MessagesRoutes.paging_fault_next`).
        faults: list[str] = vars(self).setdefault("_paging_faults", [])
        return faults.pop(0) if faults else None

    # -- list -----------------------------------------------------------------------------

    @route("GET", "/linkedin/conversations")
    async def _list_conversations(self, request: RecordedRequest) -> FakeResponse:
        query = request.query
        accounts = self._list_accounts(query)
        count = _int_param(query, "count") or DEFAULT_LIST_PAGE_SIZE
        unread_only = _bool_param(query, "unreadOnly")
        labeled_only = _bool_param(query, "labeledOnly")
        label_id = query.get("labelId") or None
        cursor = query.get("nextCursor") or None
        offset = 0 if cursor is None else self._decode_cursor(cursor)
        fault = self._pending_paging_fault() if cursor is not None else None
        if fault == "duplicate_boundary" and offset > 0:
            offset -= 1

        owners = {account.account_id for account in accounts}
        rows = [
            c
            for c in self.conversations.values()
            if c.account_id in owners
            and (not unread_only or c.unread_count > 0 or c.unread)
            and (not labeled_only or c.labels)
            and (label_id is None or label_id in c.labels)
        ]
        # Stable sort: threads without messages keep insertion order, after the rest.
        rows.sort(key=lambda c: c.messages[-1].sent_at if c.messages else -1, reverse=True)
        page = rows[offset : offset + count]
        end = offset + len(page)
        has_more = end < len(rows)
        next_cursor = self._encode_cursor(end) if has_more else None
        if fault == "repeat_cursor":
            next_cursor = cursor
        elif fault == "empty_page":
            page, has_more, next_cursor = [], True, self._encode_cursor(end + 1)
        return FakeResponse(
            200,
            {
                "success": True,
                "conversations": [self.conversation_json(c) for c in page],
                "accounts": [{"id": a.account_id, "name": a.name} for a in accounts],
                "nextCursor": next_cursor,
                "hasMore": has_more,
                "fromCache": offset < self.inbox_cache_size,
            },
        )

    def conversation_json(self, conversation: FakeConversation) -> dict[str, Any]:
        """The API's camelCase row for one conversation in the list."""
        newest = conversation.messages[-1] if conversation.messages else None
        slug = conversation.recipient_profile_id
        participants = [
            {
                **participant,
                "profileUrl": f"https://www.linkedin.com/in/{slug}/" if slug else None,
                "distance": "DISTANCE_1",
            }
            for participant in conversation.participants
        ]
        row: dict[str, Any] = {
            "conversationUrn": conversation.urn,
            "conversationId": conversation.thread_id or _bare_id(conversation.urn),
            "lastActivityAt": None if newest is None else self._timestamp(newest.sent_at),
            "unreadCount": conversation.unread_count,
            "participants": participants,
            "latestMessage": None if newest is None else _latest(newest),
        }
        if conversation.kind == "sales_navigator":
            row["source"] = "sales_navigator"
            row["salesNavThreadId"] = conversation.thread_id
        return row

    def _timestamp(self, epoch_ms: int) -> int | str:
        if self.inbox_timestamps == "ms":
            return epoch_ms
        moment = datetime.fromtimestamp(epoch_ms / 1000, tz=timezone.utc)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def _list_accounts(self, query: dict[str, str]) -> list[FakeAccount]:
        many = query.get("linkedinAccountIds")
        if many is None:
            return [self.account_for(query.get("accountId"))]
        ids = [part for part in many.split(",") if part]
        if not ids:
            raise FakeHTTPError(
                400,
                "linkedinAccountIds must list account ids",
                code="validation_error",
                field="linkedinAccountIds",
            )
        return [self.account_for(account_id) for account_id in ids]

    def _encode_cursor(self, offset: int) -> str:
        token = base64.urlsafe_b64encode(f"{offset}:{self._cursor_salt()}".encode()).decode()
        if offset < self.inbox_cache_size:
            return token
        return LINKEDIN_CURSOR_PREFIX + token

    def _decode_cursor(self, cursor: str) -> int:
        token = cursor.removeprefix(LINKEDIN_CURSOR_PREFIX)
        try:
            offset, _, salt = base64.urlsafe_b64decode(token.encode()).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            offset, salt = "", ""
        linkedin_side = cursor.startswith(LINKEDIN_CURSOR_PREFIX)
        if (
            salt != self._cursor_salt()
            or not offset.isdigit()
            or linkedin_side != (int(offset) >= self.inbox_cache_size)
        ):
            raise FakeHTTPError(
                400, "Invalid nextCursor", code="invalid_cursor", field="nextCursor"
            )
        return int(offset)

    # -- exists, sync, refresh ------------------------------------------------------------

    @route("GET", "/linkedin/conversations/exists/{profile_id}")
    async def _conversation_exists(self, request: RecordedRequest, profile_id: str) -> FakeResponse:
        account = self.account_for(request.query.get("accountId"))
        if not profile_id.strip():
            raise FakeHTTPError(400, "profileId is required", code="validation_error")
        profile_urn = profile_urn_for(profile_id)
        existing = self.find_conversation(account.account_id, profile_urn, "standard")
        return FakeResponse(
            200,
            {
                "success": True,
                "hasConversation": existing is not None,
                "conversationUrn": None if existing is None else existing.urn,
                "profileUrn": profile_urn,
                "accountId": account.account_id,
            },
        )

    @route("POST", "/linkedin/conversations/sync")
    async def _sync(self, request: RecordedRequest) -> FakeResponse:
        body = _json_object(request)
        account = self.account_for(body.get("accountId"))
        force = body.get("force", False)
        if not isinstance(force, bool):
            raise FakeHTTPError(
                400, "force must be a boolean", code="validation_error", field="force"
            )
        state = self.sync_state(account.account_id)
        now = self.now_ms()
        recent = state.last_sync_at is not None and now - state.last_sync_at < self.sync_cooldown_ms
        threads = [c for c in self.conversations.values() if c.account_id == account.account_id]
        processed = 0 if recent and not force else len(threads)
        messages = 0 if processed == 0 else sum(len(c.messages) for c in threads)
        duration_ms = 12 + processed
        payload: dict[str, Any] = {
            "success": True,
            "accountId": account.account_id,
            "conversationsProcessed": processed,
            "messagesProcessed": messages,
            "durationMs": duration_ms,
            "durationSeconds": f"{duration_ms / 1000:.2f}",
        }
        if state.fail_next_with is not None:
            payload["error"] = state.last_error = state.fail_next_with
            state.fail_next_with = None
            state.consecutive_failures += 1
        elif processed:
            state.consecutive_failures = 0
            state.last_error = None
        if processed:
            state.last_sync_at = now
        return FakeResponse(200, payload)

    @route("GET", "/linkedin/conversations/sync/status")
    async def _sync_status(self, request: RecordedRequest) -> FakeResponse:
        account_id = request.query.get("accountId")
        accounts = (
            list(self.accounts.values()) if not account_id else [self.account_for(account_id)]
        )
        entries = []
        for account in accounts:
            state = self.sync_states.get(account.account_id, FakeSyncState())
            threads = [c for c in self.conversations.values() if c.account_id == account.account_id]
            synced = state.last_sync_at is not None
            entries.append(
                {
                    "accountId": account.account_id,
                    "accountName": account.name,
                    "accountPicture": f"https://media.licdn.com/dms/image/{account.profile_id}",
                    "syncState": {
                        "lastSyncAt": None if not synced else self._iso(state.last_sync_at),
                        "syncInProgress": state.sync_in_progress,
                        "totalConversations": len(threads) if synced else 0,
                        "totalMessages": sum(len(c.messages) for c in threads) if synced else 0,
                        "consecutiveFailures": state.consecutive_failures,
                        "lastError": state.last_error,
                        "initialSyncCompleted": synced,
                    },
                }
            )
        return FakeResponse(200, {"success": True, "accounts": entries})

    @staticmethod
    def _iso(epoch_ms: int | None) -> str | None:
        if epoch_ms is None:
            return None
        moment = datetime.fromtimestamp(epoch_ms / 1000, tz=timezone.utc)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    @route("POST", "/linkedin/conversations/refresh")
    async def _refresh(self, request: RecordedRequest) -> FakeResponse:
        body = _json_object(request)
        urn = body.get("conversationUrn")
        if not isinstance(urn, str) or not urn:
            raise FakeHTTPError(
                400,
                "conversationUrn is required",
                code="validation_error",
                field="conversationUrn",
            )
        account = self.account_for(body.get("accountId"))
        self._owned_conversation(urn, account)
        self.refreshes.append(urn)
        return FakeResponse(
            200,
            {
                "success": True,
                "message": "Conversation refresh started",
                "conversationUrn": urn,
                "accountId": account.account_id,
            },
        )

    # -- thread and message actions ---------------------------------------------------------

    @route("PATCH", "/linkedin/conversations/{conversation_urn}/mark-unread")
    async def _mark_unread(self, request: RecordedRequest, conversation_urn: str) -> FakeResponse:
        conversation = self._any_conversation(conversation_urn)
        conversation.unread = True
        conversation.unread_count = max(conversation.unread_count, 1)
        return _action_response(conversation_urn)

    @route("PATCH", "/linkedin/conversations/{conversation_urn}/star")
    async def _star(self, request: RecordedRequest, conversation_urn: str) -> FakeResponse:
        self._any_conversation(conversation_urn).starred = True
        return _action_response(conversation_urn)

    @route("PATCH", "/linkedin/conversations/{conversation_urn}/unstar")
    async def _unstar(self, request: RecordedRequest, conversation_urn: str) -> FakeResponse:
        self._any_conversation(conversation_urn).starred = False
        return _action_response(conversation_urn)

    @route("DELETE", "/linkedin/conversations/{conversation_urn}/messages/{message_urn}")
    async def _delete_message(
        self, request: RecordedRequest, conversation_urn: str, message_urn: str
    ) -> FakeResponse:
        account = self.account_for(request.query.get("accountId"))
        conversation = self._owned_conversation(conversation_urn, account)
        message = _find_message(conversation.messages, message_urn)
        if not message.is_sent_by_owner:
            raise FakeHTTPError(
                400, "You can only delete messages you sent", code="not_message_owner"
            )
        conversation.messages.remove(message)
        return FakeResponse(200, {"success": True, "messageUrn": message_urn})

    @route("POST", "/linkedin/conversations/{conversation_urn}/messages/{message_urn}/react")
    async def _react(
        self, request: RecordedRequest, conversation_urn: str, message_urn: str
    ) -> FakeResponse:
        body = _json_object(request)
        emoji, react = body.get("emoji"), body.get("react", True)
        if not isinstance(emoji, str) or not emoji.strip():
            raise FakeHTTPError(400, "emoji is required", code="validation_error", field="emoji")
        if not isinstance(react, bool):
            raise FakeHTTPError(
                400, "react must be a boolean", code="validation_error", field="react"
            )
        account = self.account_for(request.query.get("accountId"))
        conversation = self._owned_conversation(conversation_urn, account)
        message = _find_message(conversation.messages, message_urn)
        if react:
            message.reactions.add(emoji)
        else:
            message.reactions.discard(emoji)
        return FakeResponse(
            200, {"success": True, "messageUrn": message_urn, "emoji": emoji, "react": react}
        )

    def _any_conversation(self, urn: str) -> FakeConversation:
        conversation = self.conversations.get(urn)
        if conversation is None:
            raise FakeHTTPError(404, "Conversation not found", code="not_found")
        return conversation

    def _owned_conversation(self, urn: str, account: FakeAccount) -> FakeConversation:
        conversation = self.conversations.get(urn)
        if conversation is None or conversation.account_id != account.account_id:
            raise FakeHTTPError(404, "Conversation not found", code="not_found")
        return conversation

    # -- deprecated endpoints ---------------------------------------------------------------

    @route("GET", "/linkedin/messaging/recent-messages")
    async def _recent_messages(self, request: RecordedRequest) -> FakeResponse:
        return _moved("/linkedin/conversations")

    @route("GET", "/linkedin/messaging/conversation-details")
    async def _conversation_details(self, request: RecordedRequest) -> FakeResponse:
        urn = request.query.get("conversationUrn", "")
        return _moved(f"/linkedin/conversations/{quote(urn, safe='')}/messages")


def _moved(location: str) -> FakeResponse:
    return FakeResponse(
        307,
        {"success": False, "error": f"This endpoint is deprecated; use {location}"},
        {"Location": location},
    )


def _action_response(conversation_urn: str) -> FakeResponse:
    return FakeResponse(200, {"success": True, "conversationUrn": conversation_urn})


def _find_message(messages: Iterable[FakeMessage], message_urn: str) -> FakeMessage:
    for message in messages:
        if message.message_urn == message_urn:
            return message
    raise FakeHTTPError(404, "Message not found", code="not_found")


def _latest(message: FakeMessage) -> dict[str, Any]:
    return {
        "text": message.text,
        "sentAt": message.sent_at,
        "senderName": message.sender_name,
        "hasAttachment": bool(message.attachments),
    }


def _bare_id(urn: str) -> str:
    """``urn:li:msg_conversation:(urn:li:fsd_profile:X,2-abc==)`` -> ``2-abc==``."""
    if urn.endswith(")") and "," in urn:
        return urn[:-1].rsplit(",", 1)[1]
    return urn.rsplit(":", 1)[1]


def _int_param(query: dict[str, str], name: str) -> int | None:
    raw = query.get(name)
    if raw is None:
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise FakeHTTPError(
            400, f"{name} must be a positive integer", code="validation_error", field=name
        )
    return int(raw)


def _bool_param(query: dict[str, str], name: str) -> bool:
    raw = query.get(name)
    if raw is None:
        return False
    if raw not in ("true", "false"):
        raise FakeHTTPError(
            400, f"{name} must be true or false", code="validation_error", field=name
        )
    return raw == "true"
