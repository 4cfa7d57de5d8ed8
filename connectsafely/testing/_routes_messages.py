"""Fake ``GET /linkedin/conversations/{conversationUrn}/messages``: cursor paging.

Standard threads page newest -> oldest with *timestamp* cursors: the cursor is the
``sentAt`` (ms) of the oldest message returned, and the next page holds the messages
strictly older than it. Sales Navigator threads page with *opaque* tokens (base64 of an
offset from the newest message plus a per-thread salt), so a message that arrives
between two page requests shifts the offsets and repeats one message across the
boundary, as offset paging does in real life.

- Unknown ``accountId`` -> 404 ``Account not found``; a URN that is unknown or
  belongs to another account -> 404 ``{"error": "Conversation not found"}``.
- ``count`` (default 50), ``since`` (only messages newer than it, epoch ms),
  ``cursor`` and ``sync`` (``true``/``false``) are honoured; malformed values -> 400.
- The body carries ``messages`` (newest first), ``participants``, ``hasMore``,
  ``cursor`` and ``note``. A standard thread's last page still carries a cursor
  (with ``hasMore: false``); a Sales Navigator thread's last page has none.
- Follow-up pages (those sent with a ``cursor``) honour the paging faults of
  ``paging_fault_next``.
"""

from __future__ import annotations

import base64
import hashlib
from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence

from ._records import FakeConversation, FakeMessage
from ._routing import Route
from ._shapes import Shape, optional
from ._wire import FakeHTTPError, FakeResponse, RecordedRequest
from ._world import World

__all__ = ["ROUTES"]

DEFAULT_PAGE_SIZE = 50


def _sent_at(message: FakeMessage) -> int:
    return message.sent_at


async def conversation_messages(
    world: World, request: RecordedRequest, params: Mapping[str, str]
) -> FakeResponse:
    """``GET /linkedin/conversations/{conversationUrn}/messages``."""
    query = request.query
    account = world.account_for(query.get("accountId"))
    thread = world.owned_conversation(params["conversation_urn"], account)
    # Well-formed when present: the route's shape.
    count = int(query.get("count", DEFAULT_PAGE_SIZE))
    since = int(query["since"]) if "since" in query else None
    cursor = query.get("cursor") or None
    fault = world.paging_faults.pop(0) if cursor is not None and world.paging_faults else None

    messages = thread.messages
    oldest = 0 if since is None else bisect_right(messages, since, key=_sent_at)
    if thread.kind == "sales_navigator":
        page, has_more, next_cursor = _offset_page(
            thread, oldest, count, cursor, overlap=fault == "duplicate_boundary"
        )
    else:
        page, has_more, next_cursor = _timestamp_page(
            messages, oldest, count, cursor, overlap=fault == "duplicate_boundary"
        )
    if fault == "repeat_cursor":
        next_cursor = cursor
    elif fault == "empty_page":
        page, has_more = [], True
    return FakeResponse(
        200,
        {
            "success": True,
            "messages": [m.to_json() for m in reversed(page)],
            "participants": [dict(p) for p in thread.participants],
            "hasMore": has_more,
            "cursor": next_cursor,
            "note": thread.note,
        },
    )


def _timestamp_page(
    messages: Sequence[FakeMessage], oldest: int, count: int, cursor: str | None, *, overlap: bool
) -> tuple[Sequence[FakeMessage], bool, str | None]:
    """Messages strictly older than the cursor's timestamp, oldest first."""
    if cursor is None:
        end = len(messages)
    else:
        if not cursor.isdigit():
            raise FakeHTTPError(400, "Invalid cursor", code="invalid_cursor", field="cursor")
        # The overlap fault treats the boundary as inclusive: the message at exactly
        # the cursor's time (the previous page's oldest) is served again.
        end = (bisect_right if overlap else bisect_left)(messages, int(cursor), key=_sent_at)
    start = max(oldest, end - count)
    page = messages[start:end] if end > start else []
    next_cursor = str(page[0].sent_at) if page else None
    return page, start > oldest, next_cursor


def _offset_page(
    thread: FakeConversation, oldest: int, count: int, cursor: str | None, *, overlap: bool
) -> tuple[Sequence[FakeMessage], bool, str | None]:
    """The page ``offset`` messages back from the newest, with an opaque next token."""
    salt = hashlib.sha256(thread.urn.encode()).hexdigest()[:8]
    offset = 0 if cursor is None else _decode_token(cursor, salt)
    if overlap and offset > 0:
        offset -= 1
    messages = thread.messages
    end = max(oldest, len(messages) - offset)
    start = max(oldest, end - count)
    page = messages[start:end]
    has_more = start > oldest
    token = None
    if has_more:
        raw = f"{offset + (end - start)}:{salt}".encode()
        token = base64.b64encode(raw).decode()
    return page, has_more, token


def _decode_token(token: str, salt: str) -> int:
    try:
        offset, _, token_salt = base64.b64decode(token, validate=True).decode().partition(":")
    except ValueError:  # not base64 (binascii.Error), not ASCII, or not UTF-8 inside
        offset, token_salt = "", ""
    if token_salt != salt or not offset.isdigit():
        raise FakeHTTPError(400, "Invalid cursor", code="invalid_cursor", field="cursor")
    return int(offset)


ROUTES = [
    Route(
        "GET",
        "/linkedin/conversations/{conversation_urn}/messages",
        conversation_messages,
        Shape(
            query={
                "count": optional("integer", minimum=1),
                "since": optional("integer"),
                "sync": optional("boolean"),
            }
        ),
    )
]
