"""Fake inbox upkeep: sync, sync status and refresh.

- Sync (``POST /linkedin/conversations/sync``): processes the account's threads, unless
  the previous sync was less than the cooldown (5 minutes) ago and ``force`` is not
  set. A `FakeSyncState.fail_next_with` error is reported once as a partial failure.
- Sync status (``GET .../sync/status``): one entry per account (or the one named).
- Refresh (``POST .../refresh``): records the URN in ``refreshes``; unknown or someone
  else's conversation -> 404.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from ._records import FakeSyncState
from ._routing import Route
from ._shapes import Shape, optional, required
from ._wire import FakeResponse, RecordedRequest, json_object
from ._world import World

__all__ = ["ROUTES"]


async def sync(world: World, request: RecordedRequest, params: Mapping[str, str]) -> FakeResponse:
    """``POST /linkedin/conversations/sync``."""
    body = json_object(request)
    account = world.account_for(body.get("accountId"))
    force = body.get("force") is True  # a boolean when present (the route's shape)
    state = world.sync_state(account.account_id)
    now = world.now_ms()
    recent = state.last_sync_at is not None and now - state.last_sync_at < world.sync_cooldown_ms
    threads = [c for c in world.conversations.values() if c.account_id == account.account_id]
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


async def sync_status(
    world: World, request: RecordedRequest, params: Mapping[str, str]
) -> FakeResponse:
    """``GET /linkedin/conversations/sync/status``."""
    account_id = request.query.get("accountId")
    accounts = list(world.accounts.values()) if not account_id else [world.account_for(account_id)]
    entries = []
    for account in accounts:
        # Read without creating: asking for the status leaves the world as it was.
        state = world.sync_states.get(account.account_id, FakeSyncState())
        threads = [c for c in world.conversations.values() if c.account_id == account.account_id]
        synced = state.last_sync_at is not None
        entries.append(
            {
                "accountId": account.account_id,
                "accountName": account.name,
                "accountPicture": f"https://media.licdn.com/dms/image/{account.profile_id}",
                "syncState": {
                    "lastSyncAt": None if not synced else _iso(state.last_sync_at),
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


async def refresh(
    world: World, request: RecordedRequest, params: Mapping[str, str]
) -> FakeResponse:
    """``POST /linkedin/conversations/refresh``."""
    body = json_object(request)
    urn: str = body["conversationUrn"]  # required: the route's shape
    account = world.account_for(body.get("accountId"))
    world.owned_conversation(urn, account)
    world.refreshes.append(urn)
    return FakeResponse(
        200,
        {
            "success": True,
            "message": "Conversation refresh started",
            "conversationUrn": urn,
            "accountId": account.account_id,
        },
    )


def _iso(epoch_ms: int | None) -> str | None:
    if epoch_ms is None:
        return None
    moment = datetime.fromtimestamp(epoch_ms / 1000, tz=timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


ROUTES = [
    Route(
        "POST",
        "/linkedin/conversations/sync",
        sync,
        Shape(body={"accountId": optional("string"), "force": optional("boolean")}),
    ),
    Route("GET", "/linkedin/conversations/sync/status", sync_status),
    Route(
        "POST",
        "/linkedin/conversations/refresh",
        refresh,
        Shape(body={"accountId": optional("string"), "conversationUrn": required("string")}),
    ),
]
