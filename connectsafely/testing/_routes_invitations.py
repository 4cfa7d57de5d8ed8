"""Fake invitation endpoints (state in `_network.Network`).

- ``GET /linkedin/invitations/sent``: the account's pending sent invitations, newest
  first, 10 a page from ``startIndex`` (a bad one -> 400); no end marker (as
  documented); ``sentAt`` is relative text ("2 days ago").
- ``GET /linkedin/invitations/received``: pending received ones, 10 a page;
  ``endOfList`` is true only on an empty page with nothing pending beyond it. The
  documented 502 ``INVITATIONS_UNAVAILABLE`` is for tests to inject (``fail_next``).
  Organization and newsletter invitations carry empty ``memberId``/``memberUrn``.
- ``POST /linkedin/invitations/received/respond``: every documented required field ->
  400 when missing, ``action`` ``ACCEPT``/``IGNORE``; an unknown invitation or a wrong
  validation token -> 500 (the only failure status the docs list). Accepting a
  connection invitation connects the two.
- ``POST /linkedin/invitations/withdraw``: ``profileId`` required -> 400; unknown
  profile, or no pending invitation to them -> 404.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ._records import FakeInvitation
from ._routing import Route
from ._shapes import Shape, optional, required
from ._wire import FakeHTTPError, FakeResponse, RecordedRequest, json_object
from ._world import World

__all__ = ["ROUTES", "relative"]

PAGE = 10


def relative(moment: datetime, now: datetime) -> str:
    """LinkedIn's relative time text: ``"just now"``, ``"3 hours ago"``, ``"2 weeks ago"``."""
    seconds = max(0, int((now - moment).total_seconds()))
    for unit, size in (("week", 604_800), ("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "just now"


def _start(request: RecordedRequest) -> int:
    text = request.query.get("startIndex", "0")
    if not text.isdigit():
        raise FakeHTTPError(400, "Invalid startIndex", code="validation_error", field="startIndex")
    return int(text)


def _entry(invitation: FakeInvitation, now: datetime) -> dict[str, Any]:
    person = invitation.profile
    member = invitation.category in ("CONNECTION", "MEMBER_FOLLOW", "EVENT")
    entry: dict[str, Any] = {
        "id": invitation.invitation_id,
        "invitationId": invitation.invitation_id,
        "invitationUrn": invitation.urn,
        "memberId": person.member_id if member else "",
        "memberUrn": person.urn if member else "",
        "invitationType": invitation.direction.upper(),
        "profile": person.card(headline=invitation.direction == "sent"),
    }
    when = relative(invitation.created_at, now)
    if invitation.direction == "sent":
        entry["sentAt"] = when
        return entry
    entry.update(
        {
            "invitationCategory": invitation.category,
            "linkedInInvitationType": f"GenericInvitationType_{invitation.category}",
            "validationToken": invitation.validation_token,
            "receivedAt": when,
        }
    )
    if invitation.note:
        entry["customMessage"] = invitation.note
    if invitation.category in ("ORGANIZATION", "NEWSLETTER"):
        entry["companyName"] = f"{person.last_name or person.first_name} Inc."
    if invitation.category == "NEWSLETTER":
        entry["newsletterName"] = f"{person.first_name}'s Weekly"
    return entry


async def sent(world: World, request: RecordedRequest, params: Mapping[str, str]) -> FakeResponse:
    """``GET /linkedin/invitations/sent``."""
    account = world.account_for(request.query.get("accountId"))
    start = _start(request)
    pending = world.network.pending_of(account.account_id, "sent")
    page = pending[start : start + PAGE]
    now = world.clock.now()
    payload = {
        "success": True,
        "invitations": [_entry(invitation, now) for invitation in page],
        "count": len(page),
        "startIndex": start,
        "accountId": account.account_id,
    }
    return FakeResponse(200, payload)


async def received(
    world: World, request: RecordedRequest, params: Mapping[str, str]
) -> FakeResponse:
    """``GET /linkedin/invitations/received``."""
    account = world.account_for(request.query.get("accountId"))
    start = _start(request)
    pending = world.network.pending_of(account.account_id, "received")
    page = pending[start : start + PAGE]
    now = world.clock.now()
    payload = {
        "success": True,
        "invitations": [_entry(invitation, now) for invitation in page],
        "count": len(page),
        "endOfList": not page and start >= len(pending),
        "startIndex": start,
        "accountId": account.account_id,
    }
    return FakeResponse(200, payload)


async def respond(
    world: World, request: RecordedRequest, params: Mapping[str, str]
) -> FakeResponse:
    """``POST /linkedin/invitations/received/respond``."""
    body = json_object(request)  # types, required fields and the action: `_RESPOND`
    for name in ("firstName", "lastName"):  # required, but may be empty (organizations)
        if not isinstance(body.get(name), str):
            raise FakeHTTPError(400, f"{name} is required", code="validation_error", field=name)
    action = body["action"]
    account = world.account_for(body.get("accountId"))
    invitation = next(
        (
            i
            for i in world.network.pending_of(account.account_id, "received")
            if i.invitation_id == body["invitationId"]
            and i.validation_token == body["validationToken"]
        ),
        None,
    )
    if invitation is None:
        raise FakeHTTPError(500, "Failed to respond to invitation", code="respond_failed")
    accepted = action == "ACCEPT"
    world.network.settle(invitation, "accepted" if accepted else "declined")
    verb = "accepted" if accepted else "ignored"
    payload = {
        "success": True,
        "message": f"Invitation from {invitation.profile.name} {verb}",
        "accountId": account.account_id,
    }
    return FakeResponse(200, payload)


async def withdraw(
    world: World, request: RecordedRequest, params: Mapping[str, str]
) -> FakeResponse:
    """``POST /linkedin/invitations/withdraw``."""
    body = json_object(request)
    slug: str = body["profileId"]  # a non-blank string: `_WITHDRAW`
    account = world.account_for(body.get("accountId"))
    person = world.network.profiles.get(slug)
    invitation = (
        None if person is None else world.network.pending(account.account_id, person, "sent")
    )
    if person is None or invitation is None:
        raise FakeHTTPError(404, "No pending invitation found for this profile", code="not_found")
    world.network.settle(invitation, "withdrawn")
    payload = {
        "success": True,
        "message": f"Successfully withdrew invitation to {person.name}",
        "accountId": account.account_id,
    }
    return FakeResponse(200, payload)


_RESPOND = Shape(
    body={
        "accountId": optional("string"),
        "action": required("string", choices=("ACCEPT", "IGNORE")),
        "invitationId": required("string"),
        "validationToken": required("string"),
        "linkedInInvitationType": required("string"),
        # Required, but may be empty (an organization's invitation): the handler checks.
        "firstName": optional("string"),
        "lastName": optional("string"),
        "profileId": optional("string"),
    }
)
_WITHDRAW = Shape(
    body={
        "accountId": optional("string"),
        "profileId": required("string"),
        **{
            name: optional("string")
            for name in ("memberId", "firstName", "lastName", "profileUrn", "invitationId")
        },
    }
)

ROUTES = [
    Route("GET", "/linkedin/invitations/sent", sent),
    Route("GET", "/linkedin/invitations/received", received),
    Route("POST", "/linkedin/invitations/received/respond", respond, _RESPOND),
    Route("POST", "/linkedin/invitations/withdraw", withdraw, _WITHDRAW),
]
