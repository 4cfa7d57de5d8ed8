"""Fake read-state and presence endpoints (``/linkedin/messaging/*``) and InMail credits.

- Mark seen / typing indicator: ``conversationUrn`` required (400 ``{"success": false,
  "error": "conversationUrn is required"}`` in that error style; the route's `Shape`
  checks it); an unknown conversation is a 500 with ``success: false``, "Failed to ..."
  and the echoed ids (no 404 is documented).
- Mark all read: clears every unread count of the account.
- Check email support: ``profileUrn`` or ``profileId`` required (400); the profile is open
  when it is in the account's `FakeAccount.open_profiles` (as a slug or a URN).
- InMail credits: a Sales Navigator account reports its `FakeAccount.inmail_credits`
  (``SALES_NAVIGATOR``, with totals); any other gets 0 and ``FREE``, never an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._routing import Route
from ._shapes import Shape, optional, required
from ._wire import FakeHTTPError, FakeResponse, RecordedRequest, json_object
from ._world import World, profile_urn_for

__all__ = ["ROUTES"]


def _success(account_id: str, message: str, conversation_urn: str | None = None) -> FakeResponse:
    """The 200 every read-state write answers with (``conversationUrn`` when it named one)."""
    payload: dict[str, Any] = {"success": True, "accountId": account_id}
    if conversation_urn is not None:
        payload["conversationUrn"] = conversation_urn
    payload["message"] = message
    return FakeResponse(200, payload)


def _on_conversation(
    world: World, request: RecordedRequest, action: str, done: str, *, seen: bool
) -> FakeResponse:
    """Act on the account's conversation a body names (``seen`` clears its unread count),
    or answer the documented 500 when there is no such conversation."""
    body = json_object(request)
    urn: str = body["conversationUrn"]  # required: checked by the route's shape
    account = world.account_for(body.get("accountId"))
    try:
        conversation = world.owned_conversation(urn, account)
    except FakeHTTPError:
        failed = {
            "success": False,
            "error": f"Failed to {action}",
            "accountId": account.account_id,
            "conversationUrn": urn,
        }
        return FakeResponse(500, failed)
    if seen:
        conversation.unread, conversation.unread_count = False, 0
    return _success(account.account_id, done, conversation.urn)


async def mark_seen(
    world: World, request: RecordedRequest, params: Mapping[str, str]
) -> FakeResponse:
    """``POST /linkedin/messaging/mark-seen``."""
    done = "Conversation marked as seen successfully"
    return _on_conversation(world, request, "mark conversation as seen", done, seen=True)


async def mark_all_read(
    world: World, request: RecordedRequest, params: Mapping[str, str]
) -> FakeResponse:
    """``POST /linkedin/messaging/mark-all-read``."""
    body = json_object(request) if request.body else {}
    account = world.account_for(body.get("accountId"))
    for conversation in world.conversations.values():
        if conversation.account_id == account.account_id:
            conversation.unread, conversation.unread_count = False, 0
    return _success(account.account_id, "All messages marked as read successfully")


async def typing_indicator(
    world: World, request: RecordedRequest, params: Mapping[str, str]
) -> FakeResponse:
    """``POST /linkedin/messaging/typing-indicator``."""
    done = "Typing indicator sent successfully"
    return _on_conversation(world, request, "send typing indicator", done, seen=False)


async def check_email_support(
    world: World, request: RecordedRequest, params: Mapping[str, str]
) -> FakeResponse:
    """``POST /linkedin/messaging/check-email-support``."""
    body = json_object(request)
    account = world.account_for(body.get("accountId"))
    profile_id, profile_urn = body.get("profileId"), body.get("profileUrn")  # one of them
    urn = profile_urn if isinstance(profile_urn, str) else profile_urn_for(str(profile_id))
    opens = account.open_profiles
    supports = urn in opens or (isinstance(profile_id, str) and profile_id in opens)
    payload = {
        "success": True,
        "accountId": account.account_id,
        "profileId": None if isinstance(profile_urn, str) else profile_id,
        "profileUrn": urn,
        "supportsFreeEmail": supports,
        "message": "Profile supports free email messaging (open profile)"
        if supports
        else "Profile does not support free email messaging",
    }
    return FakeResponse(200, payload)


async def inmail_credits(
    world: World, request: RecordedRequest, params: Mapping[str, str]
) -> FakeResponse:
    """``GET /linkedin/inmail/credits``."""
    account = world.account_for(request.query.get("accountId"))
    payload: dict[str, Any] = {"success": True, "accountId": account.account_id}
    if account.sales_navigator:
        payload.update(
            inMailCredits=account.inmail_credits,
            totalCredits=max(50, account.inmail_credits),
            usedCredits=max(50, account.inmail_credits) - account.inmail_credits,
            entityUrn=f"urn:li:fs_salesInMailCredits:{account.profile_id}",
            premiumType="SALES_NAVIGATOR",
        )
    else:
        payload.update(
            inMailCredits=0,
            premiumType="FREE",
            message="This account has no premium subscription: no InMail credits.",
        )
    return FakeResponse(200, payload)


_ON_CONVERSATION = Shape(
    body={"accountId": optional("string"), "conversationUrn": required("string")}
)
_EMAIL_SUPPORT = Shape(
    body={
        "accountId": optional("string"),
        "profileId": optional("string"),
        "profileUrn": optional("string"),
    },
    one_of=((("profileUrn", "profileId"), "profileId or profileUrn is required"),),
)

ROUTES = [
    Route("POST", "/linkedin/messaging/mark-seen", mark_seen, _ON_CONVERSATION),
    Route(
        "POST",
        "/linkedin/messaging/mark-all-read",
        mark_all_read,
        Shape(body={"accountId": optional("string")}, empty_body=True),
    ),
    Route("POST", "/linkedin/messaging/typing-indicator", typing_indicator, _ON_CONVERSATION),
    Route("POST", "/linkedin/messaging/check-email-support", check_email_support, _EMAIL_SUPPORT),
    Route("GET", "/linkedin/inmail/credits", inmail_credits),
]
