"""Fake inbox reads: list conversations, "is there a conversation?", deprecated redirects.

``GET /linkedin/conversations`` pages the way the real endpoint describes itself: rows
come from ConnectSafely's store first (opaque cursors) and, past what the store holds
(``inbox_cache_size`` rows), from LinkedIn itself, with cursors prefixed ``linkedin:``.
Sales Navigator threads are merged in with ``source: "sales_navigator"`` and a
``salesNavThreadId``.

- List: ``accountId`` or ``linkedinAccountIds`` (comma-separated; unknown -> 404),
  ``count`` (default 20), ``nextCursor``, ``labelId``, ``unreadOnly``,
  ``labeledOnly`` (``true``/``false``, else 400). Rows are ordered by last activity,
  newest first. Seed labels and unread counts on the `FakeConversation`
  (``labels``, ``unread_count``). Follow-up pages honour the paging faults of
  ``paging_fault_next`` like the messages route does.
- Exists: whether the account has a standard thread with a profile.
- The deprecated read endpoints answer 307 with a Location.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

from ._records import FakeAccount, FakeConversation, FakeMessage
from ._routing import Route
from ._shapes import Shape, optional
from ._wire import FakeHTTPError, FakeResponse, RecordedRequest
from ._world import World, profile_urn_for

__all__ = ["ROUTES"]

DEFAULT_LIST_PAGE_SIZE = 20
LINKEDIN_CURSOR_PREFIX = "linkedin:"


async def list_conversations(
    world: World, request: RecordedRequest, params: Mapping[str, str]
) -> FakeResponse:
    """``GET /linkedin/conversations``."""
    query = request.query
    accounts = _list_accounts(world, query)
    # Well-formed when present: the route's shape.
    count = int(query.get("count", DEFAULT_LIST_PAGE_SIZE))
    unread_only = query.get("unreadOnly") == "true"
    labeled_only = query.get("labeledOnly") == "true"
    label_id = query.get("labelId") or None
    cursor = query.get("nextCursor") or None
    offset = 0 if cursor is None else _decode_cursor(world, cursor)
    # The same queue the messages route reads: `paging_fault_next` scripts both.
    fault = world.paging_faults.pop(0) if cursor is not None and world.paging_faults else None
    if fault == "duplicate_boundary" and offset > 0:
        offset -= 1

    owners = {account.account_id for account in accounts}
    rows = [
        c
        for c in world.conversations.values()
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
    next_cursor = _encode_cursor(world, end) if has_more else None
    if fault == "repeat_cursor":
        next_cursor = cursor
    elif fault == "empty_page":
        page, has_more, next_cursor = [], True, _encode_cursor(world, end + 1)
    return FakeResponse(
        200,
        {
            "success": True,
            "conversations": [_conversation_json(world, c) for c in page],
            "accounts": [{"id": a.account_id, "name": a.name} for a in accounts],
            "nextCursor": next_cursor,
            "hasMore": has_more,
            "fromCache": offset < world.inbox_cache_size,
        },
    )


async def conversation_exists(
    world: World, request: RecordedRequest, params: Mapping[str, str]
) -> FakeResponse:
    """``GET /linkedin/conversations/exists/{profileId}``."""
    profile_id = params["profile_id"]
    account = world.account_for(request.query.get("accountId"))
    if not profile_id.strip():
        raise FakeHTTPError(400, "profileId is required", code="validation_error")
    profile_urn = profile_urn_for(profile_id)
    existing = world.find_conversation(account.account_id, profile_urn, "standard")
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


async def recent_messages(
    world: World, request: RecordedRequest, params: Mapping[str, str]
) -> FakeResponse:
    """``GET /linkedin/messaging/recent-messages`` (deprecated): 307 to the list."""
    return _moved("/linkedin/conversations")


async def conversation_details(
    world: World, request: RecordedRequest, params: Mapping[str, str]
) -> FakeResponse:
    """``GET /linkedin/messaging/conversation-details`` (deprecated): 307 to messages."""
    urn = request.query.get("conversationUrn", "")
    return _moved(f"/linkedin/conversations/{quote(urn, safe='')}/messages")


# -- the list's rows and cursors ----------------------------------------------------------


def _conversation_json(world: World, conversation: FakeConversation) -> dict[str, Any]:
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
        "lastActivityAt": None if newest is None else _timestamp(world, newest.sent_at),
        "unreadCount": conversation.unread_count,
        "participants": participants,
        "latestMessage": None if newest is None else _latest(newest),
    }
    if conversation.kind == "sales_navigator":
        row["source"] = "sales_navigator"
        row["salesNavThreadId"] = conversation.thread_id
    return row


def _timestamp(world: World, epoch_ms: int) -> int | str:
    if world.inbox_timestamps == "ms":
        return epoch_ms
    moment = datetime.fromtimestamp(epoch_ms / 1000, tz=timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _list_accounts(world: World, query: dict[str, str]) -> list[FakeAccount]:
    many = query.get("linkedinAccountIds")
    if many is None:
        return [world.account_for(query.get("accountId"))]
    ids = [part for part in many.split(",") if part]
    if not ids:
        raise FakeHTTPError(
            400,
            "linkedinAccountIds must list account ids",
            code="validation_error",
            field="linkedinAccountIds",
        )
    return [world.account_for(account_id) for account_id in ids]


def _encode_cursor(world: World, offset: int) -> str:
    token = base64.urlsafe_b64encode(f"{offset}:{world.cursor_salt}".encode()).decode()
    if offset < world.inbox_cache_size:
        return token
    return LINKEDIN_CURSOR_PREFIX + token


def _decode_cursor(world: World, cursor: str) -> int:
    token = cursor.removeprefix(LINKEDIN_CURSOR_PREFIX)
    try:
        offset, _, salt = base64.urlsafe_b64decode(token.encode()).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        offset, salt = "", ""
    linkedin_side = cursor.startswith(LINKEDIN_CURSOR_PREFIX)
    if (
        salt != world.cursor_salt
        or not offset.isdigit()
        or linkedin_side != (int(offset) >= world.inbox_cache_size)
    ):
        raise FakeHTTPError(400, "Invalid nextCursor", code="invalid_cursor", field="nextCursor")
    return int(offset)


def _moved(location: str) -> FakeResponse:
    return FakeResponse(
        307,
        {"success": False, "error": f"This endpoint is deprecated; use {location}"},
        {"Location": location},
    )


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


_LIST_SHAPE = Shape(
    query={
        "count": optional("integer", minimum=1),
        # On the official list page, not in the generated reference: kept (docs/wire-form.md).
        "unreadOnly": optional("boolean"),
        "labeledOnly": optional("boolean"),
    }
)

ROUTES = [
    Route("GET", "/linkedin/conversations", list_conversations, _LIST_SHAPE),
    Route("GET", "/linkedin/conversations/exists/{profile_id}", conversation_exists),
    Route("GET", "/linkedin/messaging/recent-messages", recent_messages),
    Route("GET", "/linkedin/messaging/conversation-details", conversation_details),
]
