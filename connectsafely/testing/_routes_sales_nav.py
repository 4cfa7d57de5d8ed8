"""Fake Sales Navigator endpoints (``/linkedin/sales-nav/*``).

The thread objects are undocumented; the fake's are its own choice (``threadId``,
``conversationUrn``, ``participants``, ``lastActivityAt``, ``unreadCount``, ``archived``,
and ``messages`` in a single thread), which the SDK passes through as ``raw``.

- Threads: the account's Sales Navigator conversations, newest activity first, filtered
  by ``INBOX`` (not archived), ``UNREAD`` or ``ARCHIVED``; offset paging with
  ``pageStartsAt`` and ``nextPageStartsAt`` (absent on the last page) -- an assumption
  the docs leave open. An account without Sales Navigator -> 400.
- One thread: its newest ``messageCount`` messages (default 20); unknown -> 404.
- Mark read: clears the unread count; unknown account -> 404 "Account not found",
  unknown thread -> 404.
- Send: ``body`` required; ``threadId`` replies, else ``recipients`` (profile URNs) start
  or find a thread; no Sales Navigator, or an unknown thread -> 400 "Send failed".
  Accepted sends are recorded in ``fake.sends`` (channel ``sales_navigator``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._records import FakeAccount, FakeConversation
from ._routes_send import _target_conversation, accept_send
from ._routing import Route
from ._shapes import Shape, optional, required
from ._wire import FakeHTTPError, FakeResponse, RecordedRequest, json_object
from ._world import World

__all__ = ["ROUTES"]

_FILTERS = ("INBOX", "UNREAD", "ARCHIVED")


def _navigator_account(world: World, account_id: object) -> FakeAccount:
    account = world.account_for(account_id)
    if not account.sales_navigator:
        raise FakeHTTPError(
            400,
            "This account does not have an active Sales Navigator subscription",
            code="sales_navigator_required",
        )
    return account


def _thread_json(conversation: FakeConversation, messages: int | None = None) -> dict[str, Any]:
    last = conversation.messages[-1].sent_at if conversation.messages else None
    thread: dict[str, Any] = {
        "threadId": conversation.thread_id,
        "conversationUrn": conversation.urn,
        "participants": conversation.participants,
        "lastActivityAt": last,
        "unreadCount": conversation.unread_count,
        "archived": conversation.archived,
    }
    if messages is not None:
        newest = conversation.messages[::-1][:messages]
        thread["messages"] = [m.to_json() for m in newest]
    return thread


def _by_thread_id(world: World, account: FakeAccount, thread_id: str) -> FakeConversation | None:
    for conversation in world.conversations.values():
        if conversation.account_id == account.account_id and conversation.thread_id == thread_id:
            return conversation
    return None


async def threads(
    world: World, request: RecordedRequest, params: Mapping[str, str]
) -> FakeResponse:
    """``GET /linkedin/sales-nav/threads``."""
    account = _navigator_account(world, request.query.get("accountId"))
    # Well-formed when present: the route's shape.
    wanted = request.query.get("filter", "INBOX")
    count = int(request.query.get("count", 20))
    start = int(request.query.get("pageStartsAt", 0))
    mine = [
        c
        for c in world.conversations.values()
        if c.account_id == account.account_id and c.kind == "sales_navigator"
    ]
    if wanted == "UNREAD":
        mine = [c for c in mine if c.unread or c.unread_count > 0]
    else:
        mine = [c for c in mine if c.archived == (wanted == "ARCHIVED")]
    mine.sort(key=lambda c: c.messages[-1].sent_at if c.messages else 0, reverse=True)
    page = mine[start : start + count]
    payload: dict[str, Any] = {
        "success": True,
        "threads": [_thread_json(c) for c in page],
        "paging": {"start": start, "count": count, "total": len(mine)},
        "accountId": account.account_id,
    }
    if start + count < len(mine):
        payload["nextPageStartsAt"] = start + count
    return FakeResponse(200, payload)


async def thread(world: World, request: RecordedRequest, params: Mapping[str, str]) -> FakeResponse:
    """``GET /linkedin/sales-nav/threads/{threadId}``."""
    account = world.account_for(request.query.get("accountId"))
    count = int(request.query.get("messageCount", 20))  # well-formed: the route's shape
    conversation = _by_thread_id(world, account, params["thread_id"])
    if conversation is None:
        raise FakeHTTPError(404, "Thread not found", code="not_found")
    payload = {
        "success": True,
        "thread": _thread_json(conversation, messages=count),
        "accountId": account.account_id,
    }
    return FakeResponse(200, payload)


async def mark_read(
    world: World, request: RecordedRequest, params: Mapping[str, str]
) -> FakeResponse:
    """``POST /linkedin/sales-nav/mark-read``."""
    body = json_object(request)
    account = world.account_for(body.get("accountId"))
    thread_id = body.get("threadId")
    conversation = _by_thread_id(world, account, thread_id) if isinstance(thread_id, str) else None
    if conversation is None:
        raise FakeHTTPError(404, "Thread not found", code="not_found")
    conversation.unread, conversation.unread_count = False, 0
    payload = {"success": True, "threadId": thread_id, "accountId": account.account_id}
    return FakeResponse(200, payload)


async def send(world: World, request: RecordedRequest, params: Mapping[str, str]) -> FakeResponse:
    """``POST /linkedin/sales-nav/send``."""
    body = json_object(request)
    text: str = body["body"]  # a non-blank string: the route's shape
    account = world.account_for(body.get("accountId"))
    if not account.sales_navigator:
        raise FakeHTTPError(400, "Send failed", code="send_failed")
    thread_id = body.get("threadId")
    if isinstance(thread_id, str):
        conversation = _by_thread_id(world, account, thread_id)
        if conversation is None:
            raise FakeHTTPError(400, "Send failed", code="send_failed")
    else:
        recipients = body.get("recipients")
        if not isinstance(recipients, list) or not recipients:
            raise FakeHTTPError(400, "threadId or recipients is required", code="validation_error")
        target = {"recipientProfileUrn": recipients[0]}
        conversation, new = _target_conversation(world, target, account, "sales_navigator")
        if new:
            world.register_conversation(conversation)
    message = accept_send(
        world, request, body, conversation, account, text=text, channel="sales_navigator"
    )
    payload = {
        "success": True,
        "message": "Message sent",
        "threadId": conversation.thread_id,
        "messageId": message.message_urn,
        "accountId": account.account_id,
    }
    return FakeResponse(200, payload)


_THREADS = Shape(
    query={
        "filter": optional("string", choices=_FILTERS),
        "count": optional("integer", minimum=1),
        "pageStartsAt": optional("integer"),
    }
)
_SEND = Shape(
    body={
        "accountId": optional("string"),
        "threadId": optional("string"),
        "recipients": optional("array", items="string"),
        "body": required("string"),
        "copyToCrm": optional("boolean"),
    },
    one_of=((("threadId", "recipients"), "threadId or recipients is required"),),
)

ROUTES = [
    Route("GET", "/linkedin/sales-nav/threads", threads, _THREADS),
    Route(
        "GET",
        "/linkedin/sales-nav/threads/{thread_id}",
        thread,
        Shape(query={"messageCount": optional("integer", minimum=1)}),
    ),
    Route(
        "POST",
        "/linkedin/sales-nav/mark-read",
        mark_read,
        Shape(body={"accountId": optional("string"), "threadId": optional("string")}),
    ),
    Route("POST", "/linkedin/sales-nav/send", send, _SEND),
]
